// GET …/info of a volume with a few journal segments and 100 auto snapshots, against a
// bare Fastify route serving the same bytes. Target ratio ≥ 0.7.
import type { Simulator } from '../../simulator/index.js'
import type { BenchResult } from './run.js'
import { againstBare, infoData } from './api-setup.js'

export async function run (): Promise<BenchResult> {
  const { sim, ref, path } = await infoData(':memory:')
  const info = await sim.info(ref)
  // The HTTP layer alone: the same answer from a backend that has it ready, to tell the
  // API's cost from the simulator's (its info reads SQLite and settles retention).
  const ready: Simulator = Object.assign(Object.create(sim) as Simulator, { info: async () => info, close: async () => {} })
  const layer = await againstBare(ready, path)
  const figures = await againstBare(sim, path)
  return {
    segments: info.cdp_info.length,
    snapshots: info.cdp_info.reduce((n, s) => n + s.snaps.length, 0),
    ...figures,
    api_layer_rps: layer.rps,
    api_layer_ratio: layer.ratio
  }
}
