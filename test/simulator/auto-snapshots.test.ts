// Auto snapshots: every interval while CDP is on, none while off, at most one a second.
import t from 'tap'
import { advanceSeconds, eventsOfKind, failure, openDemo, policy, ref, refusalDesc, writeBlock } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'
import { MAX_TIME } from '../../simulator/clock.js'
import type { Simulator } from '../../simulator/index.js'

t.test('auto snapshots come every interval while CDP is on', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  const start = sim.clock().now
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 35)
  const [segment] = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segment?.snaps.map((s) => s.time), [0n, 10n, 20n, 30n].map((s) => start + s * NS_PER_SECOND))
  t.same(segment?.snaps.map((s) => s.name), [0n, 10n, 20n, 30n].map((s) => `CDP-auto-${start / NS_PER_SECOND + s}`))
})

t.test('no auto snapshots while CDP is off', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.enable([ref(DEMO.cdp1)])
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 100)
  const [segment] = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.equal(segment?.snaps.length, 1)
})

t.test('a segment opened in the second of the newest snapshot opens with its own: recoverable from its start', async (t) => {
  const sim = openDemo(t)
  const first = sim.advance(100_000_000n)
  await sim.enable([ref(DEMO.cdp1)])
  sim.advance(100_000_000n)
  await sim.disable([ref(DEMO.cdp1)])
  const reenabledAt = sim.advance(100_000_000n)
  await sim.enable([ref(DEMO.cdp1)])
  const name = `CDP-auto-${first / NS_PER_SECOND}`
  const segments = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segments.map((s) => [s.seq, s.snaps]), [[0n, [{ name, time: first }]], [1n, [{ name, time: reenabledAt }]]],
    'both segments have a snapshot of that second, each at its own start')
  t.same(sim.recoverable(DEMO.cdp1).ranges.map((r) => r.from), [first, reenabledAt])
  const written = writeBlock(sim, DEMO.cdp1, 0, 9)
  await sim.revert(ref(DEMO.cdp1), { snapshot_name: name, timestamp: reenabledAt })
  t.not(sim.image(DEMO.cdp1).digest, sim.image(DEMO.cdp1, written).digest, 'the name and a time in segment 1 name its start')
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: name, timestamp: reenabledAt - 1n })), 'SNAPSHOT_NOT_BASE',
    'between the two segments (CDP off) the name is no base')
})

t.test('auto snapshots: at most one a second in a segment', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 1 })
  const start = sim.advance(500_000_000n)
  await sim.enable([ref(DEMO.cdp1)])
  const snapshot = await sim.takeSnapshots([DEMO.cdp1])
  t.same(snapshot.map((s) => s.taken), [false], 'the segment already has this second\'s')
  advanceSeconds(sim, 3)
  const [segment] = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segment?.snaps.map((s) => s.time), [0n, 1n, 2n, 3n].map((s) => start + s * NS_PER_SECOND))
})

t.test('auto snapshots after a long clock jump: the interval\'s ticks inside the window, none before it', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  const now = sim.advance(1003n * NS_PER_SECOND)
  const ticks = [950n, 960n, 970n, 980n, 990n, 1000n].map((s) => enabledAt + s * NS_PER_SECOND)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.flatMap((s) => s.snaps.map((sn) => sn.time)), ticks, 'ticks keep the cadence from the enable')
  t.same(sim.recoverable(DEMO.cdp1).ranges.map((r) => [r.from, r.to]), [[ticks[0], now]])
  sim.advance(7n * NS_PER_SECOND)
  t.equal((await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.snaps.at(-1)?.time, enabledAt + 1010n * NS_PER_SECOND, 'and the next one comes on time')
})

/** cdp-1's auto_snapshot events, oldest first: [time, to, seq]. */
async function autoSnapshotEvents (sim: Simulator): Promise<Array<[bigint, bigint | undefined, bigint | undefined]>> {
  return (await eventsOfKind(sim, DEMO.cdp1, 'auto_snapshot')).map((e) => [e.time, e.to, e.seq])
}

t.test('each auto snapshot taken is an event, and after a long jump only the ticks inside the window are taken; a tick exactly at the cut is inside', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  sim.advance(1000n * NS_PER_SECOND)
  const ticks = [940n, 950n, 960n, 970n, 980n, 990n, 1000n].map((s) => enabledAt + s * NS_PER_SECOND)
  t.same(await autoSnapshotEvents(sim), [enabledAt, ...ticks].map((time) => [time, time, 0n]), 'the enable\'s, then the seven ticks from the cut on')
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.flatMap((s) => s.snaps.map((sn) => sn.time)), ticks)
})

t.test('a tick in a second the segment already has a snapshot of is neither a snapshot nor an event', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 1 })
  const second = sim.clock().now / NS_PER_SECOND
  sim.advance(900_000_000n)
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  sim.advance(300_000_000n)
  const [taken] = await sim.takeSnapshots([DEMO.cdp1])
  const takenAt = enabledAt + 300_000_000n
  t.same(taken, { volume_uuid: DEMO.cdp1, name: `CDP-auto-${second + 1n}`, time: takenAt, taken: true }, 'the harness takes the next second\'s')
  // The interval's tick 1 s after the enable falls in that same second.
  sim.advance(800_000_000n)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.snaps.map((s) => [s.name, s.time]),
    [[`CDP-auto-${second}`, enabledAt], [`CDP-auto-${second + 1n}`, takenAt]])
  t.same(await autoSnapshotEvents(sim), [[enabledAt, enabledAt, 0n]], 'only the enable\'s is an interval snapshot')
})

t.test('the harness snapshots only a journal that records', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.disable([ref(DEMO.cdp1)])
  t.equal(await failure(() => sim.takeSnapshots([DEMO.cdp1])), 'CDP_IS_OFF')
  t.equal(await refusalDesc(() => sim.takeSnapshots([DEMO.cdp1])), 'only a journal that records can be snapshotted')
})

t.test('at the clock\'s last ns: a tick due exactly then is taken, and none is due after it', async (t) => {
  // The enable lies a whole number of seconds before MAX_TIME, so a 1 s tick falls on it.
  const sim = openDemo(t, { snapshotIntervalSeconds: 1, clock: { mode: 'manual', start: MAX_TIME - 10_001n * NS_PER_SECOND } })
  await sim.edit(policy(1024n ** 3n, 5n), [ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  t.equal(sim.clock().now, MAX_TIME - 10_000n * NS_PER_SECOND)
  sim.advance(MAX_TIME - 1n - sim.clock().now)
  sim.advance(1n)
  const snaps = (await sim.info(ref(DEMO.cdp1))).cdp_info.flatMap((s) => s.snaps.map((sn) => sn.time))
  t.equal(snaps.at(-1), MAX_TIME, 'the tick at MAX_TIME')
  t.equal((await sim.info(ref(DEMO.cdp1))).cdp_info.length, 1, 'and a later call finds nothing more due')
})

t.test('on a real clock, a write that fills a segment first takes the snapshots that fell due in it: a roll never skips them', async (t) => {
  // A segment of one block: each write after the first rolls one. Nothing moves the real clock
  // between writes, so only the write itself can take a tick that fell due meanwhile.
  const sim = openDemo(t, { clock: { mode: 'real' }, snapshotIntervalSeconds: 1, segmentCapacity: 4096n })
  await sim.enable([ref(DEMO.cdp1)])
  const opened = (await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.snaps[0]?.time as bigint
  writeBlock(sim, DEMO.cdp1, 0, 1)
  // Past the next tick by a wide margin, so the write below is surely after it.
  await new Promise((resolve) => setTimeout(resolve, 1300))
  const rolled = writeBlock(sim, DEMO.cdp1, 1, 2)
  const segments = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segments.map((s) => s.seq), [0n, 1n], 'the second write rolled the full segment')
  t.same(segments[0]?.snaps.map((s) => s.time), [opened, opened + NS_PER_SECOND], 'the tick a second after the opening, in the first segment')
  t.same(segments[1]?.snaps.map((s) => s.time), [rolled], 'the new segment opens with its own')
})

t.test('a tick due at the very ns of a write that rolls the segment is the new segment\'s opening snapshot only', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10, segmentCapacity: 4096n })
  const start = sim.clock().now
  await sim.enable([ref(DEMO.cdp1)])
  const tick = start + 10n * NS_PER_SECOND
  sim.advance(tick - 1n - start)
  writeBlock(sim, DEMO.cdp1, 0, 1)
  // The second write in that ns takes the next one: the tick's own, where it rolls the full segment.
  t.equal(writeBlock(sim, DEMO.cdp1, 1, 2), tick)
  const segments = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segments.map((s) => [s.seq, s.snaps.map((sn) => sn.time)]), [[0n, [start]], [1n, [tick]]])
})
