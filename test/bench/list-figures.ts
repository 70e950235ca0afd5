// What api-list and api-list-1m measure over `volumes` CDP volumes, each against a bare
// route serving the same bytes: a selective filter (vol-0999, the target), a broad one
// (vol-0: a tenth of the volumes at 1,000,000, all of them at 100,000) and page 5,000 of
// the whole list. The server is as npm start configures it: the simulator (database in
// memory) in its worker thread, metrics on. `serverRss` adds the same server as its own
// process, for its resident memory (server-rss.ts).
import type { BenchResult } from './run.js'
import { buildSimulatorApp, openWorkerHarness } from '../../simulator/index.js'
import { againstBareAt, configureCdpOnAll, listPath } from './api-setup.js'
import { serverRss } from './server-rss.js'
import { benchTopology } from './sim-setup.js'

export async function listFigures (volumes: number, { serverRss: withServerRss = false } = {}): Promise<BenchResult> {
  const topology = benchTopology(volumes)
  const harness = await openWorkerHarness({ db: ':memory:', topology, clock: { mode: 'manual' } })
  await configureCdpOnAll(harness.simulator, topology)
  const path = listPath(topology, 'vol-0999')
  const cluster = topology.clusters[0]?.uuid ?? ''
  const total = (await harness.simulator.list({ cluster_uuid: cluster, filter_name: 'vol-0999', page_num: 0, page_size: 10 })).TotalCount
  // One app for the three: closing the app closes the simulator.
  const broadPath = path.replace('filter_name=vol-0999', 'filter_name=vol-0')
  const deepPath = path.replace('page_num=0', 'page_num=5000').replace('&filter_name=vol-0999', '')
  const app = await buildSimulatorApp(harness)
  let figures
  try {
    const base = await app.listen({ host: '127.0.0.1', port: 0 })
    const selective = await againstBareAt(base, path)
    const broad = await againstBareAt(base, broadPath)
    const deep = await againstBareAt(base, deepPath)
    figures = {
      volumes,
      matching: total,
      ...selective,
      broad_rps: broad.rps,
      broad_ratio: broad.ratio,
      deep_page_rps: deep.rps,
      deep_page_ratio: deep.ratio,
      bench_process_rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20)
    }
  } finally {
    await app.close()
  }
  return withServerRss ? { ...figures, ...await serverRss(topology, [path, broadPath, deepPath]) } : figures
}
