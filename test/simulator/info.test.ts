// Info and the journal figures: what a volume's segments report, and the recoverable window
// the metrics gauge shows.
import t from 'tap'
import fc from 'fast-check'
import type { Simulator } from '../../simulator/index.js'
import { advanceSeconds, failure, openDemo, pointAt, policy, ref } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'
import type { CdpRow } from '../../simulator/cdp.js'
import { infoValidUntil } from '../../simulator/info.js'

t.test('the recoverable window is the total length of the recoverable ranges: gaps and time since a disable do not count', async (t) => {
  const sim = openDemo(t)
  const windowOf = (): number | undefined => sim.journalStats().find((s) => s.volume_uuid === DEMO.cdp1)?.window_seconds
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 10)
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 100)
  t.equal(windowOf(), 10, 'the disabled time is not recoverable')
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 5)
  t.equal(windowOf(), 15, 'two ranges, the gap between left out')
  const ranges = sim.recoverable(DEMO.cdp1).ranges
  t.equal(ranges.length, 2)
})

type IoStep =
  | { op: 'write', block: number, blocks: number, fill: number }
  | { op: 'advance', ns: bigint }
  | { op: 'toggle' }
  | { op: 'revert', back: number }
  | { op: 'clean', seq: number }
  | { op: 'view' }
  | { op: 'limit', blocks: number }

const ioStep: fc.Arbitrary<IoStep> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('write' as const), block: fc.integer({ min: 0, max: 7 }), blocks: fc.integer({ min: 1, max: 3 }), fill: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ns: fc.constantFrom(1n, 300_000_000n, NS_PER_SECOND, 7n * NS_PER_SECOND) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'toggle' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('revert' as const), back: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('clean' as const), seq: fc.nat({ max: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'view' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('limit' as const), blocks: fc.integer({ min: 1, max: 12 }) }) }
)

interface History { points: bigint[], on: boolean }

/** Each step as a client would take it; a refused call (a cleaned active segment, say) is part of the history too. */
async function takeStep (sim: Simulator, s: IoStep, history: History): Promise<void> {
  const volume = ref(DEMO.cdp1)
  const { points } = history
  if (s.op === 'write') points.push(sim.write(DEMO.cdp1, [{ offset: s.block * BLOCK_SIZE, length: s.blocks * BLOCK_SIZE, fill: s.fill }]).time)
  else if (s.op === 'advance') sim.advance(s.ns)
  else if (s.op === 'toggle') {
    await (history.on ? sim.disable([volume]) : sim.enable([volume]))
    history.on = !history.on
  } else if (s.op === 'clean') await failure(() => sim.clean(volume, BigInt(s.seq)))
  else if (s.op === 'limit') await sim.edit(policy(BigInt(s.blocks * BLOCK_SIZE), 5n), [volume])
  else if (s.op === 'view') {
    if ((await sim.info(volume)).host_uuid !== '') await sim.viewOff(volume)
    else await failure(async () => await sim.viewOn(volume, await pointAt(sim, volume, points.at(-1) ?? 0n)))
  } else if (points.length > 0) {
    await failure(async () => await sim.revert(volume, await pointAt(sim, volume, points[s.back % points.length] as bigint)))
  }
}

t.test('io times: startTime ≤ ioStartTime ≤ ioLastTime, both 0 exactly when a segment holds no journal rows', async (t) => {
  await t.resolves(fc.assert(fc.asyncProperty(fc.array(ioStep, { minLength: 1, maxLength: 25 }), async (steps) => {
    const sim = openDemo(t, { segmentCapacity: 3n * BigInt(BLOCK_SIZE), snapshotIntervalSeconds: 2 })
    try {
      await sim.enable([ref(DEMO.cdp1)])
      const history: History = { points: [], on: true }
      for (const s of steps) {
        await takeStep(sim, s, history)
        for (const segment of (await sim.info(ref(DEMO.cdp1))).cdp_info) {
          const held = segment.use > 0n
          const io = `usd_seq ${segment.seq}: use ${segment.use}, startTime ${segment.startTime}, io ${segment.ioStartTime}–${segment.ioLastTime} after ${s.op}`
          if (held !== (segment.ioStartTime !== 0n) || held !== (segment.ioLastTime !== 0n)) throw new Error(io)
          if (held && !(segment.startTime <= segment.ioStartTime && segment.ioStartTime <= segment.ioLastTime)) throw new Error(io)
        }
      }
    } finally {
      await sim.close()
    }
  }), { numRuns: 60 }))
})

t.test('a segment opened and closed in one ns (a write that fills two) has no snapshot: info lists none for it', async (t) => {
  const sim = openDemo(t, { segmentCapacity: BigInt(BLOCK_SIZE) })
  await sim.enable([ref(DEMO.cdp1)])
  const at = advanceSeconds(sim, 1)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 3 * BLOCK_SIZE, fill: 7 }])
  const segments = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segments.map((s) => [s.seq, s.startTime, s.use]), [[0n, at - NS_PER_SECOND, 4096n], [1n, at, 4096n], [2n, at, 4096n]], 'one block in each')
  t.same(segments[1]?.snaps, [], 'the middle one: no snapshot')
  t.same(segments[2]?.snaps.map((s) => s.time), [at], 'the active one opens with its own')
})

/** A CDP row as the catch-up at some now left it; only what infoValidUntil reads differs between cases. */
function cdpRow (row: Pick<CdpRow, 'state' | 'oldest_snapshot' | 'next_snapshot' | 'reserve_duration'>): CdpRow {
  return {
    volume_id: 1n,
    priority: 'mid',
    reserve_capacity: 1n << 40n,
    create_time: 0n,
    disk_id: 1n,
    next_seq: 1n,
    base_time: 0n,
    last_change: 0n,
    on_since: null,
    use: 0n,
    view_time: null,
    active_seq: null,
    active_use: null,
    active_capacity: null,
    ...row
  }
}

t.test('an info answer is valid until the first ns time alone could change it: the next tick, or the oldest snapshot passing reserve_duration', async (t) => {
  const now = 1000n * NS_PER_SECOND
  const oldest = 900n * NS_PER_SECOND
  // Retention drops the oldest snapshot once it is more than reserve_duration old: 1 ns past oldest + duration.
  const expiry = oldest + 300n * NS_PER_SECOND + 1n
  const huge = (1n << 64n) - 1n
  const cases: Array<[string, Parameters<typeof cdpRow>[0], bigint, bigint]> = [
    ['no snapshot: retention folds at every call, so only now itself', { state: 'on', oldest_snapshot: null, next_snapshot: now + 5n, reserve_duration: 300n }, now, now + 1n],
    ['off: only the expiry of the oldest snapshot', { state: 'off', oldest_snapshot: oldest, next_snapshot: null, reserve_duration: 300n }, now, expiry],
    ['off: a tick left in the row is not due', { state: 'off', oldest_snapshot: oldest, next_snapshot: now + 5n, reserve_duration: 300n }, now, expiry],
    ['on: the next tick, when it comes first', { state: 'on', oldest_snapshot: oldest, next_snapshot: now + 5n, reserve_duration: 300n }, now, now + 5n],
    ['on: a tick at the expiry itself', { state: 'on', oldest_snapshot: oldest, next_snapshot: expiry, reserve_duration: 300n }, now, expiry],
    ['on: the expiry, when it comes first', { state: 'on', oldest_snapshot: oldest, next_snapshot: expiry + 1n, reserve_duration: 300n }, now, expiry],
    ['on with no tick due (past the last ns of the clock): the expiry', { state: 'on', oldest_snapshot: oldest, next_snapshot: null, reserve_duration: 300n }, now, expiry],
    ['an expiry already passed (a view holding the snapshot): only now itself', { state: 'off', oldest_snapshot: oldest, next_snapshot: null, reserve_duration: 100n }, now, now + 1n],
    ['an expiry at now itself: the ns after it', { state: 'off', oldest_snapshot: oldest, next_snapshot: null, reserve_duration: 100n }, oldest + 100n * NS_PER_SECOND + 1n, oldest + 100n * NS_PER_SECOND + 2n],
    ['an expiry one ns after now', { state: 'off', oldest_snapshot: oldest, next_snapshot: null, reserve_duration: 100n }, oldest + 100n * NS_PER_SECOND, oldest + 100n * NS_PER_SECOND + 1n],
    ['a uint64 duration read from its stored bit pattern', { state: 'off', oldest_snapshot: oldest, next_snapshot: null, reserve_duration: BigInt.asIntN(64, huge) }, now, oldest + huge * NS_PER_SECOND + 1n]
  ]
  for (const [what, row, at, until] of cases) t.equal(infoValidUntil(cdpRow(row), at), until, what)
})
