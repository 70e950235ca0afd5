// GET …/list?page_num=0&page_size=10&filter_name=… over 100,000 CDP volumes, against a
// bare Fastify route serving the same bytes. Target ratio ≥ 0.5.
import { openSimulator } from '../../simulator/index.js'
import type { BenchResult } from './run.js'
import { CDP, againstBare } from './api-setup.js'
import { benchTopology } from './sim-setup.js'

const VOLUMES = 100_000
const BATCH = 1000

export async function run (): Promise<BenchResult> {
  const topology = benchTopology(VOLUMES)
  const sim = openSimulator({ db: ':memory:', topology, clock: { mode: 'manual' } })
  const cluster = topology.clusters[0]!.uuid
  const refs = topology.volumes.map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid }))
  for (let i = 0; i < refs.length; i += BATCH) {
    await sim.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 86400n }, refs.slice(i, i + BATCH))
  }
  // "vol-0999" matches vol-099900 … vol-099999: 100 volumes, the first page of 10.
  const path = `${CDP}/list?cluster_uuid=${cluster}&page_num=0&page_size=10&filter_name=vol-0999`
  const total = (await sim.list({ cluster_uuid: cluster, filter_name: 'vol-0999', page_num: 0, page_size: 10 })).TotalCount
  return { volumes: VOLUMES, matching: total, ...await againstBare(sim, path) }
}
