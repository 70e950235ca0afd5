// GET …/info (3 segments, 102 snapshots) through API → cdp-sim agent, against the API over
// the in-process simulator with the same database. Target ratio ≥ 0.5.
import type { BenchResult } from './run.js'
import { infoData } from './api-setup.js'
import { againstInProcess } from './agent-setup.js'

export async function run (): Promise<BenchResult> {
  return { ...await againstInProcess(async (db) => await infoData(db)) }
}
