// GET …/list?page_num=0&page_size=10&filter_name=vol-0999 over 100,000 CDP volumes through
// API → cdp-sim agent, against the API over the in-process simulator with the same
// database. The data is built in SQLite once and the agent serves a copy of the file, so
// the size costs no setup through the agent. Target ratio ≥ 0.5.
import type { BenchResult } from './run.js'
import { listData } from './api-setup.js'
import { againstInProcess } from './agent-setup.js'

const VOLUMES = 100_000

export async function run (): Promise<BenchResult> {
  return { volumes: VOLUMES, ...await againstInProcess(async (db) => await listData(db, VOLUMES, 'vol-0999')) }
}
