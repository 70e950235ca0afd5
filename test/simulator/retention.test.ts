// Retention: history beyond reserve_duration or beyond reserve_capacity is folded away.
import t, { type Test } from 'tap'
import type { Simulator } from '../../simulator/index.js'
import { advanceSeconds, eventsOfKind, failure, openDemo, pointAt, policy, ref, writeBlock } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { type CdpPolicy, NS_PER_SECOND } from '../../src/backend/port.js'

const BLOCK = BigInt(BLOCK_SIZE)

t.test('by duration: nothing older than now − reserve_duration stays recoverable', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const early = writeBlock(sim, DEMO.cdp1, 0, 1)
  for (let i = 0; i < 20; i++) {
    const now = advanceSeconds(sim, 10)
    writeBlock(sim, DEMO.cdp1, i % 4, i + 2)
    for (const range of sim.recoverable(DEMO.cdp1).ranges) {
      t.ok(range.from >= now - 60n * NS_PER_SECOND, `at +${(i + 1) * 10}s the range starts inside the last 60 s`)
    }
  }
  t.equal(await failure(() => sim.image(DEMO.cdp1, early)), 'POINT_NOT_RECOVERABLE')
})

t.test('by duration: old snapshots and emptied segments disappear', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10, segmentCapacity: 2n * BLOCK })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  for (let i = 0; i < 6; i++) {
    advanceSeconds(sim, 1)
    sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: i + 1 }])
  }
  t.ok((await sim.info(ref(DEMO.cdp1))).cdp_info.length >= 5, 'several segments to begin with')
  const now = advanceSeconds(sim, 300)
  const { cdp_info: segments } = await sim.info(ref(DEMO.cdp1))
  const snaps = segments.flatMap((s) => s.snaps)
  t.ok(snaps.length > 0, 'the active segment keeps its recent snapshots')
  t.ok(snaps.every((s) => s.time >= now - 60n * NS_PER_SECOND), 'no snapshot older than the window')
  t.same(segments.map((s) => s.use), [0n], 'only the active segment is left, its history folded')
  t.equal(sim.image(DEMO.cdp1, sim.recoverable(DEMO.cdp1).ranges[0]?.from ?? 0n).digest, sim.image(DEMO.cdp1).digest,
    'the oldest point left still has the right image')
})

t.test('by duration: shortening reserve_duration trims at once', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.enable([ref(DEMO.cdp1)])
  const now = advanceSeconds(sim, 600)
  t.ok((sim.recoverable(DEMO.cdp1).ranges[0]?.from ?? now) < now - 500n * NS_PER_SECOND, 'a day of history is kept by default')
  await sim.edit(policy(1024n ** 3n, 30n), [ref(DEMO.cdp1)])
  t.ok(sim.recoverable(DEMO.cdp1).ranges.every((r) => r.from >= now - 30n * NS_PER_SECOND))
})

t.test('by capacity: journal use never exceeds reserve_capacity', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 1, segmentCapacity: 2n * BLOCK })
  await sim.edit(policy(4n * BLOCK, 3600n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  for (let i = 0; i < 20; i++) {
    advanceSeconds(sim, 1)
    sim.write(DEMO.cdp1, [{ offset: (i % 3) * BLOCK_SIZE, length: BLOCK_SIZE * (1 + (i % 2)), fill: i + 1 }])
    const use = (await sim.info(ref(DEMO.cdp1))).cdp_info.reduce((sum, s) => sum + s.use, 0n)
    t.ok(use <= 4n * BLOCK, `after write ${i} use ${use} ≤ 4 blocks`)
  }
  t.ok(sim.recoverable(DEMO.cdp1).ranges.length > 0, 'recent history stays recoverable')
})

t.test('by capacity: the oldest history goes first', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 1 })
  await sim.edit(policy(3n * BLOCK, 3600n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const times: bigint[] = []
  for (let i = 0; i < 5; i++) {
    advanceSeconds(sim, 1)
    times.push(writeBlock(sim, DEMO.cdp1, i, i + 1))
  }
  const { ranges } = sim.recoverable(DEMO.cdp1)
  t.ok((ranges[0]?.from ?? 0n) > (times[0] ?? 0n), 'the first write\'s point is no longer recoverable')
  t.equal(await failure(() => sim.image(DEMO.cdp1, times[0] ?? 0n)), 'POINT_NOT_RECOVERABLE')
  t.equal(ranges.at(-1)?.to, times[4], 'the newest point still is')
})

t.test('by capacity: lowering reserve_capacity below the journal\'s use folds at once', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 1 })
  await sim.enable([ref(DEMO.cdp1)])
  for (let i = 0; i < 6; i++) {
    advanceSeconds(sim, 1)
    writeBlock(sim, DEMO.cdp1, i, 9)
  }
  await sim.edit(policy(2n * BLOCK, 86400n), [ref(DEMO.cdp1)])
  const use = (await sim.info(ref(DEMO.cdp1))).cdp_info.reduce((sum, s) => sum + s.use, 0n)
  t.ok(use <= 2n * BLOCK, `use ${use} ≤ 2 blocks`)
})

t.test('by capacity: blocks journaled in the ns the CDP was created are folded too', async (t) => {
  const sim = openDemo(t)
  await sim.edit(policy(BLOCK, 3600n), [ref(DEMO.cdp1)])
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 3 }])
  await sim.enable([ref(DEMO.cdp1)])
  const use = (await sim.info(ref(DEMO.cdp1))).cdp_info.reduce((sum, s) => sum + s.use, 0n)
  t.ok(use <= BLOCK, `use ${use} ≤ 1 block`)
})

t.test('by duration, exactly: a snapshot at now − reserve_duration stays; 1 ns later it is gone', async (t) => {
  // One snapshot only (at the enable) so that nothing else can hold the window open.
  const sim = openDemo(t, { snapshotIntervalSeconds: 600 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  sim.advance(1n)
  writeBlock(sim, DEMO.cdp1, 0, 7)
  sim.advance(enabledAt + 60n * NS_PER_SECOND - sim.clock().now)
  t.same(sim.recoverable(DEMO.cdp1).ranges.map((r) => r.from), [enabledAt], 'the cut falls on the snapshot: it stays')
  t.equal(await failure(() => sim.image(DEMO.cdp1, enabledAt)), 'no error')
  sim.advance(1n)
  t.same(sim.recoverable(DEMO.cdp1).ranges, [], '1 ns later the snapshot is outside the window')
  t.equal(await failure(() => sim.image(DEMO.cdp1, enabledAt)), 'POINT_NOT_RECOVERABLE')
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => [s.use, s.snaps.length]), [[0n, 0]], 'its history folded into the base')
})

t.test('by capacity, exactly: use equal to reserve_capacity keeps everything; one block more folds the oldest instant only', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 1 })
  await sim.edit(policy(3n * BLOCK, 3600n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  const times: bigint[] = []
  for (let i = 0; i < 3; i++) {
    sim.advance(NS_PER_SECOND + 1_000_000n)
    times.push(writeBlock(sim, DEMO.cdp1, i, i + 1))
  }
  const use = async (): Promise<bigint> => (await sim.info(ref(DEMO.cdp1))).cdp_info.reduce((sum, s) => sum + s.use, 0n)
  t.equal(await use(), 3n * BLOCK, 'the journal is exactly full')
  t.equal(sim.recoverable(DEMO.cdp1).ranges[0]?.from, enabledAt, 'and keeps all its history')
  sim.advance(NS_PER_SECOND + 1_000_000n)
  writeBlock(sim, DEMO.cdp1, 3, 4)
  const [first, second] = times as [bigint, bigint]
  // The first write's instant goes, and with it every snapshot before it; the history up to the
  // oldest snapshot left (the whole second after the first write) folds.
  const oldestLeft = (first / NS_PER_SECOND + 1n) * NS_PER_SECOND
  t.equal(sim.recoverable(DEMO.cdp1).ranges[0]?.from, oldestLeft, 'the range starts at the first snapshot after the folded instant')
  t.equal(await use(), 3n * BLOCK, 'one block folded')
  t.equal(await failure(() => sim.image(DEMO.cdp1, oldestLeft - 1n)), 'POINT_NOT_RECOVERABLE')
  t.equal(await failure(() => sim.image(DEMO.cdp1, second)), 'no error', 'the second write is still a point')
})

const useOf = async (sim: Simulator): Promise<bigint> => (await sim.info(ref(DEMO.cdp1))).cdp_info.reduce((sum, s) => sum + s.use, 0n)

/** cdp-1 under `limits`, one block written a second after enable, and a view on at that write: the view's point and image. */
async function viewAtFirstWrite (t: Test, snapshotIntervalSeconds: number, limits: CdpPolicy) {
  const sim = openDemo(t, { snapshotIntervalSeconds })
  await sim.edit(limits, [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  const exposed = sim.image(DEMO.cdp1, at).digest
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
  return { sim, at, exposed }
}

t.test('an active view pins its point: duration folds no history past it, and catches up once the view is off', async (t) => {
  const { sim, at, exposed } = await viewAtFirstWrite(t, 10, policy(1024n ** 3n, 60n))
  for (let i = 0; i < 12; i++) {
    advanceSeconds(sim, 10)
    writeBlock(sim, DEMO.cdp1, 0, i + 2)
  }
  const now = sim.clock().now
  t.ok(sim.recoverable(DEMO.cdp1).ranges.every((r) => r.from >= now - 60n * NS_PER_SECOND), 'snapshots still go by reserve_duration')
  t.equal(await failure(() => sim.image(DEMO.cdp1, at)), 'POINT_NOT_RECOVERABLE', 'the view\'s point is no longer a point to name')
  t.equal(sim.viewImage(DEMO.cdp1).digest, exposed, 'but the view still shows it')
  t.equal(await useOf(sim), 12n * BLOCK, 'every row after the point is held, in use; the point\'s own folded into the base')
  await sim.viewOff(ref(DEMO.cdp1))
  advanceSeconds(sim, 1)
  t.ok(await useOf(sim) < 12n * BLOCK, 'the view off, the next catch-up folds what the window no longer needs')
})

t.test('an active view pins its point: use may pass reserve_capacity while it is on, and folds back under it after', async (t) => {
  const { sim, exposed } = await viewAtFirstWrite(t, 1, policy(3n * BLOCK, 3600n))
  for (let i = 0; i < 5; i++) {
    advanceSeconds(sim, 1)
    writeBlock(sim, DEMO.cdp1, 1 + i, i + 2)
  }
  t.equal(await useOf(sim), 6n * BLOCK, 'past reserve_capacity: the view holds the history it needs')
  t.equal(sim.viewImage(DEMO.cdp1).digest, exposed)
  t.equal(Buffer.compare(sim.readView(DEMO.cdp1, 0, 2 * BLOCK_SIZE), Buffer.concat([Buffer.alloc(BLOCK_SIZE, 1), Buffer.alloc(BLOCK_SIZE)])), 0,
    'its bytes are the point\'s, not the blocks written since')
  await sim.viewOff(ref(DEMO.cdp1))
  const stored = sim.journalStats().find((s) => s.volume_uuid === DEMO.cdp1)?.use ?? 4n * BLOCK
  t.ok(stored <= 3n * BLOCK, 'the view off, capacity catches up in that call: the stored journal (gauges, state file) is within it before any other call')
  advanceSeconds(sim, 1)
  t.ok(await useOf(sim) <= 3n * BLOCK, 'and stays within it')
  t.ok(sim.recoverable(DEMO.cdp1).ranges.length > 0, 'and the newest history is still recoverable')
})

/** cdp-1's trims, oldest first: what each says of how the history was cut. */
async function trimsOf (sim: Simulator): Promise<Array<{ kind: string, from?: bigint, to?: bigint, bytes?: bigint }>> {
  return (await eventsOfKind(sim, DEMO.cdp1, 'trimmed_by_duration', 'trimmed_by_capacity')).map(({ kind, from, to, bytes }) => ({ kind, from, to, bytes }))
}

t.test('a trim by duration is an event: from the oldest point before it to the oldest after, with the journal bytes it folded; a catch-up that trims nothing records none', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  // Created a second before the enable: the base then lies before the oldest snapshot.
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  advanceSeconds(sim, 1)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 1 }])
  advanceSeconds(sim, 5)
  await sim.info(ref(DEMO.cdp1))
  t.same(await trimsOf(sim), [], 'no trim while all of the history is inside the window')
  t.equal(await useOf(sim), 2n * BLOCK)
  advanceSeconds(sim, 60)
  const oldest = sim.recoverable(DEMO.cdp1).ranges[0]?.from
  t.ok(oldest !== undefined && oldest > enabledAt, 'the enable\'s snapshot left the window')
  t.same(await trimsOf(sim), [{ kind: 'trimmed_by_duration', from: enabledAt, to: oldest, bytes: 2n * BLOCK }])
  t.equal(await useOf(sim), 0n)
  advanceSeconds(sim, 1)
  await sim.info(ref(DEMO.cdp1))
  t.equal((await trimsOf(sim)).length, 1, 'a second later the oldest snapshot is still inside: no new trim')
})

t.test('a trim by capacity is an event of its own kind, naming the oldest point before and after and the bytes folded', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 1 })
  await sim.edit(policy(2n * BLOCK, 3600n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  for (let i = 0; i < 2; i++) {
    sim.advance(NS_PER_SECOND + 1_000_000n)
    writeBlock(sim, DEMO.cdp1, i, i + 1)
  }
  t.same(await trimsOf(sim), [], 'exactly full: nothing trimmed')
  sim.advance(NS_PER_SECOND + 1_000_000n)
  writeBlock(sim, DEMO.cdp1, 2, 3)
  const oldest = sim.recoverable(DEMO.cdp1).ranges[0]?.from
  t.same(await trimsOf(sim), [{ kind: 'trimmed_by_capacity', from: enabledAt, to: oldest, bytes: BLOCK }])
})

/**
 * cdp-1 with one block written a second after the enable and two more 30 s later, then the
 * limits lowered to 2 blocks and 60 s by an edit `after` the first write: over capacity by
 * the first write's block, and the window's cut `after` − 60 s. Answers the simulator.
 */
async function bothLimitsAt (t: Test, after: bigint): Promise<Simulator> {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const first = writeBlock(sim, DEMO.cdp1, 0, 1)
  advanceSeconds(sim, 30)
  sim.write(DEMO.cdp1, [{ offset: BLOCK_SIZE, length: 2 * BLOCK_SIZE, fill: 2 }])
  sim.advance(first + after - sim.clock().now)
  await sim.edit(policy(2n * BLOCK, 60n), [ref(DEMO.cdp1)])
  t.equal(sim.clock().now, first + after, 'the edit took the ns the test meant')
  return sim
}

t.test('both limits at once: the later cut wins, and at one instant the trim is by duration', async (t) => {
  // Capacity alone would fold the first write's instant; the window cuts 30 s later.
  const sim = await bothLimitsAt(t, 90n * NS_PER_SECOND)
  const now = sim.clock().now
  t.ok(sim.recoverable(DEMO.cdp1).ranges.every((r) => r.from >= now - 60n * NS_PER_SECOND), 'nothing older than the window is left')
  t.equal((await trimsOf(sim)).at(-1)?.kind, 'trimmed_by_duration')
  // 60 s after the first write both limits cut at its instant.
  t.equal((await trimsOf(await bothLimitsAt(t, 60n * NS_PER_SECOND))).at(-1)?.kind, 'trimmed_by_duration')
})

t.test('blocks journaled at the base\'s own ns stay in the journal while use is within reserve_capacity', async (t) => {
  const sim = openDemo(t)
  await sim.edit(policy(2n * BLOCK, 3600n), [ref(DEMO.cdp1)])
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 3 }])
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  t.equal(await useOf(sim), 2n * BLOCK, 'use equal to reserve_capacity is not over it: nothing folds')
  t.same(await trimsOf(sim), [])
})

t.test('an active view at a point after the oldest snapshot folds nothing past that snapshot: the points between stay as they were', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 1)
  advanceSeconds(sim, 11)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  advanceSeconds(sim, 9)
  const viewed = writeBlock(sim, DEMO.cdp1, 0, 3)
  const between = enabledAt + 15n * NS_PER_SECOND
  const before = sim.image(DEMO.cdp1, between).digest
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), viewed))
  sim.advance(enabledAt + 65n * NS_PER_SECOND - sim.clock().now)
  t.ok((sim.recoverable(DEMO.cdp1).ranges[0]?.from ?? 0n) > enabledAt, 'the enable\'s snapshot left the window')
  t.equal(sim.image(DEMO.cdp1, between).digest, before, 'a point between the oldest snapshot and the view\'s keeps its image')
  // Each trim starts where the one before it ended, the view's pin notwithstanding.
  for (let i = 0; i < 4; i++) advanceSeconds(sim, 10)
  const trims = await trimsOf(sim)
  t.ok(trims.length >= 2, `${trims.length} trims while the view was on`)
  t.ok(trims.every((trim, i) => i === 0 || trim.from === trims[i - 1]?.to), 'each trim\'s from is the last one\'s to')
})

t.test('rows journaled in the ns of the last fold stay while a view is on at that ns, even when the snapshots before leave the window', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  // Written while CDP is off: the enable journals both blocks in its own ns, where its first catch-up put the base.
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 3 }])
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  t.equal(await useOf(sim), 2n * BLOCK)
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), enabledAt))
  advanceSeconds(sim, 65)
  t.ok((sim.recoverable(DEMO.cdp1).ranges[0]?.from ?? 0n) > enabledAt, 'the enable\'s snapshot left the window')
  t.equal(await useOf(sim), 2n * BLOCK, 'the rows at the view\'s point are not past it, and no limit asks for them: they stay')
  t.equal(Buffer.compare(sim.readView(DEMO.cdp1, 0, 2 * BLOCK_SIZE), Buffer.alloc(2 * BLOCK_SIZE, 3)), 0, 'and the view shows them')
})

t.test('a reserve_duration longer than the clock has run cuts nothing, and within capacity no catch-up records a trim', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  // The cut lies before the clock's zero: no point is too old.
  await sim.edit(policy(1024n ** 3n, 2n ** 62n), [ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  const enabledAt = sim.clock().now
  for (let i = 0; i < 5; i++) {
    advanceSeconds(sim, 10)
    writeBlock(sim, DEMO.cdp1, i, i + 1)
  }
  t.same(await trimsOf(sim), [])
  t.equal(sim.recoverable(DEMO.cdp1).ranges[0]?.from, enabledAt, 'the first point is still the enable')
})
