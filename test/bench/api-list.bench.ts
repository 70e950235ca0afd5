// GET …/list?page_num=0&page_size=10&filter_name=… over 100,000 CDP volumes, against a
// bare Fastify route serving the same bytes. Target ratio ≥ 0.5.
import type { BenchResult } from './run.js'
import { againstBare, listData } from './api-setup.js'

const VOLUMES = 100_000

export async function run (): Promise<BenchResult> {
  const { sim, topology, path } = await listData(':memory:', VOLUMES, 'vol-0999')
  const cluster = topology.clusters[0]?.uuid ?? ''
  const total = (await sim.list({ cluster_uuid: cluster, filter_name: 'vol-0999', page_num: 0, page_size: 10 })).TotalCount
  return { volumes: VOLUMES, matching: total, ...await againstBare(sim, path) }
}
