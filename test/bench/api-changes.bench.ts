// GET …/changes on a volume with 1,000,000 journaled writes (250-block writes spread over a
// 65,536-block working set, through the simulator's own write path), between two points
// 10,000 writes (1%) and 100,000 writes (10%) apart: every page at page_size 10,000 through
// the HTTP app (inject), median of 5. The cost should follow the journal between the points:
// also the same 1% span when the journal held only 100,000 writes, which should cost the same.
import { buildApp } from '../../src/app.js'
import { CDP } from './api-setup.js'
import { benchSimulator, seconds } from './sim-setup.js'

const BLOCKS = 65_536
const PER_CALL = 250
const STEP = 1_000_000n // 1 ms between calls
const PAGE = 10_000

export async function run (): Promise<Record<string, number>> {
  const { sim, cluster, volumes } = await benchSimulator(1, 600, BLOCKS * 4096)
  const volume = volumes[0]!
  const app = await buildApp({ backend: sim })
  let state = 42 // xorshift32: a repeatable spread over the working set
  const nextBlock = (): number => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5
    return (state >>> 0) % BLOCKS
  }
  const times: bigint[] = []
  const journal = (writes: number): void => {
    while (times.length * PER_CALL < writes) {
      const batch = Array.from({ length: PER_CALL }, (_, i) => ({ offset: nextBlock() * 4096, length: 4096, fill: 1 + ((times.length + i) % 255) }))
      times.push(sim.write(volume, batch).time)
      sim.advance(STEP)
    }
  }
  /** Every page of changes from the write call `first` to `writes` later; median seconds of 5, and the extents. */
  const changes = async (first: number, writes: number): Promise<{ ms: number, extents: number, pages: number }> => {
    const from = times[first]!
    const to = times[first + writes / PER_CALL]!
    const samples: number[] = []
    let extents = 0
    let pages = 0
    for (let i = 0; i < 5; i++) {
      const start = process.hrtime.bigint()
      let token = ''
      extents = 0
      pages = 0
      do {
        const res = await app.inject({ method: 'GET', url: `${CDP}/changes?cluster_uuid=${cluster}&volume_uuid=${volume}&from=${from}&to=${to}&page_size=${PAGE}&page_token=${token}` })
        const body = JSON.parse(res.body) as { scode: number, data: { extents: unknown[], next_page_token: string } }
        if (body.scode !== 0) throw new Error(res.body)
        extents += body.data.extents.length
        token = body.data.next_page_token
        pages++
      } while (token !== '')
      samples.push(seconds(start))
    }
    return { ms: Number((samples.sort((a, b) => a - b)[2]! * 1000).toFixed(1)), extents, pages }
  }
  journal(100_000)
  const early = await changes(100, 10_000)
  journal(1_000_000)
  const onePct = await changes(1000, 10_000)
  const tenPct = await changes(1000, 100_000)
  await app.close()
  return {
    journal_writes: times.length * PER_CALL,
    ms_1pct: onePct.ms,
    extents_1pct: onePct.extents,
    ms_10pct: tenPct.ms,
    extents_10pct: tenPct.extents,
    pages_10pct: tenPct.pages,
    growth_10x_span: Number((tenPct.ms / onePct.ms).toFixed(2)),
    ms_1pct_span_at_100k_journal: early.ms,
    ratio: Number((onePct.ms / early.ms).toFixed(2))
  }
}
