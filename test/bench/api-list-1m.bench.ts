// api-list at 1,000,000 CDP volumes (the setup alone takes minutes). Target: ratio ≥ 0.5.
import type { BenchResult } from './run.js'
import { listFigures } from './list-figures.js'

export async function run (): Promise<BenchResult> {
  return await listFigures(1_000_000)
}
