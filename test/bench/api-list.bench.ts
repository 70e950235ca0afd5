// GET …/list?page_num=0&page_size=10&filter_name=vol-0999 over 100,000 CDP volumes, against
// a bare Fastify route serving the same bytes, with a broad filter and a deep page beside
// it, and the resident memory of that server as its own process. Targets: ratio ≥ 0.5,
// server_rss_mb < 200.
import type { BenchResult } from './run.js'
import { listFigures } from './list-figures.js'

export async function run (): Promise<BenchResult> {
  return await listFigures(100_000, { serverRss: true })
}
