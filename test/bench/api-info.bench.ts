// GET …/info of a volume with a few journal segments and 100 auto snapshots, against a
// bare Fastify route serving the same bytes. Target ratio ≥ 0.7.
import { loadTopology, openSimulator, type Simulator } from '../../simulator/index.js'
import type { BenchResult } from './run.js'
import { CDP, againstBare } from './api-setup.js'

const CLUSTER = 'ee3ae4de-811a-45b5-b339-f7ad45872c33'
const VOLUME = 'ddc4adf3-830e-4ec3-b1dc-85571aea15c7'
const SNAPSHOTS = 100
const SECOND = 1_000_000_000n

export async function run (): Promise<BenchResult> {
  // A segment holds 40 blocks: 100 one-block writes fill three segments.
  const sim = openSimulator({
    db: ':memory:',
    topology: loadTopology('fixtures/demo-topology.json'),
    clock: { mode: 'manual' },
    snapshotIntervalSeconds: 60,
    segmentCapacity: 40n * 4096n
  })
  const ref = { cluster_uuid: CLUSTER, volume_uuid: VOLUME }
  await sim.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 10n ** 6n }, [ref])
  await sim.enable([ref])
  for (let i = 0; i < SNAPSHOTS; i++) {
    sim.write(VOLUME, [{ offset: (i % 64) * 4096, length: 4096, fill: i % 256 }])
    sim.advance(60n * SECOND)
  }
  const info = await sim.info(ref)
  const path = `${CDP}/info?cluster_uuid=${CLUSTER}&volume_uuid=${VOLUME}`
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
