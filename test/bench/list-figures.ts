// What api-list and api-list-1m measure over `volumes` CDP volumes, each against a bare
// route serving the same bytes: a selective filter (vol-0999, the target), a broad one
// (vol-0: a tenth of the volumes at 1,000,000, all of them at 100,000) and page 5,000 of
// the whole list; and the process's resident memory afterwards.
import type { BenchResult } from './run.js'
import { againstBareAt, listData, listenApp } from './api-setup.js'

export async function listFigures (volumes: number): Promise<BenchResult> {
  const { sim, topology, path } = await listData(':memory:', volumes, 'vol-0999')
  const cluster = topology.clusters[0]?.uuid ?? ''
  const total = (await sim.list({ cluster_uuid: cluster, filter_name: 'vol-0999', page_num: 0, page_size: 10 })).TotalCount
  // One app for the three: closing an app closes its backend.
  const app = await listenApp(sim)
  try {
    const selective = await againstBareAt(app.base, path)
    const broad = await againstBareAt(app.base, path.replace('filter_name=vol-0999', 'filter_name=vol-0'))
    const deep = await againstBareAt(app.base, path.replace('page_num=0', 'page_num=5000').replace('&filter_name=vol-0999', ''))
    const rss = Math.round(process.memoryUsage().rss / 2 ** 20)
    return {
      volumes,
      matching: total,
      ...selective,
      broad_rps: broad.rps,
      broad_ratio: broad.ratio,
      deep_page_rps: deep.rps,
      deep_page_ratio: deep.ratio,
      rss_mb: rss
    }
  } finally {
    await app.close()
  }
}
