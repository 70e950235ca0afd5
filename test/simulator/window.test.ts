// Property: the protection window tells the truth. After any history of writes, time, CDP
// off and on, hosts going down and up and segments cleaned, the simulator accepts a view at
// every time inside a range (its edges and middle) and at none inside a gap, whatever base
// snapshot is named; and the events name every enable and disable of that history, in order.
import { join } from 'node:path'
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { DEFAULTS, type Simulator } from '../../simulator/index.js'
import { openDemo, policy, ref, writeBlock } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'
import type { WindowFacts } from '../../src/schemas/window.js'

type Step =
  | { kind: 'write', block: number, fill: number }
  | { kind: 'advance', seconds: number }
  | { kind: 'toggleCdp' }
  | { kind: 'toggleHosts' }
  | { kind: 'cleanOldest' }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), block: fc.integer({ min: 0, max: 5 }), fill: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 150 }) }),
  fc.constant({ kind: 'toggleCdp' as const }),
  fc.constant({ kind: 'toggleHosts' as const }),
  fc.constant({ kind: 'cleanOldest' as const })
)

const VOLUME = ref(DEMO.cdp1)

async function play (sim: Simulator, steps: Step[]): Promise<Array<'enabled' | 'disabled'>> {
  const toggles: Array<'enabled' | 'disabled'> = ['enabled']
  let on = true
  let hostsUp = true
  for (const s of steps) {
    if (s.kind === 'write') writeBlock(sim, DEMO.cdp1, s.block, s.fill)
    else if (s.kind === 'advance') sim.advance(BigInt(s.seconds) * NS_PER_SECOND)
    else if (s.kind === 'toggleCdp') {
      await (on ? sim.disable([VOLUME]) : sim.enable([VOLUME]))
      toggles.push(on ? 'disabled' : 'enabled')
      on = !on
    } else if (s.kind === 'toggleHosts') {
      hostsUp = !hostsUp
      for (const host of [DEMO.host1, DEMO.host2]) sim.setHostOnline(host, hostsUp)
    } else {
      const closed = (await sim.info(VOLUME)).cdp_info.slice(0, -1)[0] ??
        (on ? undefined : (await sim.info(VOLUME)).cdp_info[0])
      if (closed !== undefined) await sim.clean(VOLUME, closed.seq)
    }
  }
  for (const host of [DEMO.host1, DEMO.host2]) sim.setHostOnline(host, true)
  // Hosts back: their segments count again, and the check below sees every kind of gap but offline.
  return toggles
}

/**
 * The window's own invariant, read from its answer alone: gaps in time order, apart from each
 * other and from every range, and together with the ranges covering every ns from the first
 * of either to now.
 */
function checkPartition (window: WindowFacts, now: bigint): void {
  const spans = [...window.ranges.map((r) => ({ ...r, gap: false })), ...window.gaps.map((g) => ({ ...g, gap: true }))]
    .sort((a, b) => a.from < b.from ? -1 : a.from > b.from ? 1 : 0)
  for (const [i, gap] of window.gaps.entries()) {
    if (gap.from > gap.to) throw new Error(`gap ${i} ends before it starts`)
    const next = window.gaps[i + 1]
    if (next !== undefined && next.from <= gap.to) throw new Error(`gaps ${i} and ${i + 1} overlap or are out of order`)
    for (const range of window.ranges) {
      if (range.from <= gap.to && gap.from <= range.to) throw new Error(`gap ${gap.from}..${gap.to} overlaps range ${range.from}..${range.to}`)
    }
  }
  let covered = (spans[0]?.from ?? 0n) - 1n
  for (const span of spans) {
    if (span.from > covered + 1n) throw new Error(`nothing covers ${covered + 1n}..${span.from - 1n}`)
    if (span.to > covered) covered = span.to
  }
  if (spans.length > 0 && covered !== now) throw new Error(`the window ends at ${covered}, not now (${now})`)
}

/** Whether some snapshot of the volume at or before `at` makes a view at `at` that the simulator accepts. */
async function viewable (sim: Simulator, at: bigint): Promise<boolean> {
  const snaps = (await sim.info(VOLUME)).cdp_info.flatMap((segment) => segment.snaps).filter((snap) => snap.time <= at)
  for (const snap of snaps) {
    try {
      await sim.viewOn(VOLUME, { snapshot_name: snap.name, timestamp: at })
    } catch {
      continue
    }
    await sim.viewOff(VOLUME)
    return true
  }
  return false
}

// Scripted histories first (each gap's reason and bounds, and the figures, written here from
// the times the test made), the property over random histories last: a failure shows sooner.
const S = NS_PER_SECOND
const TIB = 1024n ** 4n
const START = 1630053321n * S

/** Advances the manual clock by `ns` and returns the new now. */
const forward = (sim: Simulator, ns: bigint): bigint => sim.advance(ns)

t.test('off and on: the time CDP was off is a disabled gap, and the figures count whole seconds, rounded down', async (t) => {
  const begin = START + S / 2n
  const sim = openDemo(t, { clock: { mode: 'manual', start: begin } })
  await sim.edit(policy(TIB, 3600n), [VOLUME])
  await sim.enable([VOLUME])
  const off = forward(sim, 10n * S + S / 4n)
  await sim.disable([VOLUME])
  const on = forward(sim, 5n * S + S / 2n)
  await sim.enable([VOLUME])
  const now = forward(sim, 4n * S + 6n * S / 10n)
  t.same(await sim.window(VOLUME), {
    ranges: [{ from: begin, to: off, seq: 0n }, { from: on, to: now, seq: 1n }],
    // The CDP was created in the second `begin` falls in: the window starts at that whole second.
    gaps: [{ from: START, to: begin - 1n, reason: 'disabled' }, { from: off + 1n, to: on - 1n, reason: 'disabled' }],
    configured_seconds: 3600n,
    actual_seconds: 20n, // 20.35 s since the oldest recoverable time
    recoverable_seconds: 14n, // 10.25 s + 4.6 s
    on_seconds: 4n, // 4.6 s since the last enable
    use: 0n,
    capacity: TIB
  })
})

t.test('a segment on an offline host is a host_offline gap from its start to now, and nothing is recoverable', async (t) => {
  const sim = openDemo(t)
  await sim.enable([VOLUME])
  writeBlock(sim, DEMO.cdp1, 0, 1)
  const now = forward(sim, 10n * S)
  sim.setHostOnline(DEMO.host1, false)
  t.match(await sim.window(VOLUME), {
    ranges: [],
    gaps: [{ from: START, to: now, reason: 'host_offline' }],
    actual_seconds: 0n,
    recoverable_seconds: 0n,
    on_seconds: 10n,
    use: BigInt(BLOCK_SIZE)
  })
})

t.test('a cleaned segment\'s span is a cleaned gap between the disabled ones around it', async (t) => {
  const sim = openDemo(t)
  await sim.enable([VOLUME])
  const off0 = forward(sim, 10n * S)
  await sim.disable([VOLUME])
  const on1 = forward(sim, S)
  await sim.enable([VOLUME])
  const off1 = forward(sim, 10n * S)
  await sim.disable([VOLUME])
  const on2 = forward(sim, S)
  await sim.enable([VOLUME])
  const now = forward(sim, 5n * S)
  await sim.clean(VOLUME, 1n)
  t.same((await sim.window(VOLUME)).gaps, [
    { from: off0 + 1n, to: on1 - 1n, reason: 'disabled' },
    { from: on1, to: off1, reason: 'cleaned' },
    { from: off1 + 1n, to: on2 - 1n, reason: 'disabled' }
  ])
  t.match(await sim.window(VOLUME), { ranges: [{ from: START, to: off0, seq: 0n }, { from: on2, to: now, seq: 2n }], actual_seconds: 27n, recoverable_seconds: 15n })
})

t.test('history trimmed by duration before the oldest snapshot left is no_base_snapshot, from the cut on', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(TIB, 30n), [VOLUME])
  await sim.enable([VOLUME])
  const now = forward(sim, 105n * S)
  // Snapshots every 10 s: the oldest kept at a cut of now - 30 s is at 80 s.
  t.match(await sim.window(VOLUME), {
    ranges: [{ from: START + 80n * S, to: now, seq: 0n }],
    gaps: [{ from: now - 30n * S, to: START + 80n * S - 1n, reason: 'no_base_snapshot' }],
    actual_seconds: 25n
  })
})

t.test('history trimmed by capacity before the oldest point left is trimmed_by_capacity, back to the creation', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 1 })
  await sim.edit(policy(2n * BigInt(BLOCK_SIZE), 3600n), [VOLUME])
  await sim.enable([VOLUME])
  for (let block = 0; block < 3; block++) {
    forward(sim, S)
    writeBlock(sim, DEMO.cdp1, block, 1)
  }
  const [oldest] = (await sim.window(VOLUME)).ranges
  t.ok(oldest !== undefined && oldest.from > START, 'the oldest point moved on')
  t.same((await sim.window(VOLUME)).gaps, [{ from: START, to: (oldest?.from ?? 0n) - 1n, reason: 'trimmed_by_capacity' }])
})

t.test('a time its disk was full is a disk_full gap; a failed disk\'s segment is a disk_failed gap to now', async (t) => {
  const sim = openDemo(t)
  await sim.enable([VOLUME])
  forward(sim, 10n * S)
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'full')
  forward(sim, 5n * S)
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'ok')
  const now = forward(sim, 5n * S)
  const [full, ok] = (await sim.events(VOLUME, { page_num: 0, page_size: 0 })).events.filter((e) => e.kind === 'disk_full' || e.kind === 'disk_ok').map((e) => e.time) as [bigint, bigint]
  t.same((await sim.window(VOLUME)).gaps, [{ from: full, to: ok - 1n, reason: 'disk_full' }])
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'failed')
  t.match(await sim.window(VOLUME), { ranges: [], gaps: [{ from: START, to: now, reason: 'disk_failed' }] })
})

t.test('the protection survey: the first volumes by uuid with their standing, the rest counted; an agent\'s slice only', async (t) => {
  const db = join(t.testdir({}), 'survey.db')
  const sim = openDemo(t, { db })
  const volumes = [DEMO.cdp1, DEMO.vol1, DEMO.linData]
  await sim.enable(volumes.map((uuid) => ref(uuid)))
  await sim.edit(policy(TIB, 3600n), [ref(DEMO.linData)])
  const now = forward(sim, 10n * S + S / 2n)
  const standing = (uuid: string) => ({ volume_uuid: uuid, configured_seconds: uuid === DEMO.linData ? 3600n : DEFAULTS.policy.reserve_duration, actual_seconds: 10n, on_seconds: 10n, trimmed_by_capacity: false })
  const byUuid = [...volumes].sort()
  t.same(await sim.protection(2), { volumes: byUuid.slice(0, 2).map(standing), omitted: 1, unanswered: 0 })
  t.same(await sim.protection(0), { volumes: [], omitted: 3, unanswered: 0 })
  const lin = openDemo(t, { db, namespaces: [DEMO.linNamespace.toUpperCase()], clock: { mode: 'manual', start: now } })
  t.same(await lin.protection(10), { volumes: [standing(DEMO.linData)], omitted: 0, unanswered: 0 }, 'lin\'s namespace serves lin-data alone')
})

t.test('one ns between a disable and the next enable is a disabled gap of that one ns; while off the gap runs to now', async (t) => {
  const sim = openDemo(t)
  await sim.enable([VOLUME])
  const off = forward(sim, S)
  await sim.disable([VOLUME])
  forward(sim, 2n)
  await sim.enable([VOLUME])
  t.same((await sim.window(VOLUME)).gaps, [{ from: off + 1n, to: off + 1n, reason: 'disabled' }])
  const offAgain = forward(sim, S)
  await sim.disable([VOLUME])
  const now = forward(sim, 3n * S)
  t.match(await sim.window(VOLUME), { gaps: [{ from: off + 1n, to: off + 1n, reason: 'disabled' }, { from: offAgain + 1n, to: now, reason: 'disabled' }], on_seconds: 0n })
})

t.test('a cleaned middle segment of ones that rolled over: the cleaned gap runs between its neighbours\' ranges', async (t) => {
  const sim = openDemo(t, { segmentCapacity: BigInt(BLOCK_SIZE) })
  await sim.enable([VOLUME])
  const rolls: bigint[] = []
  for (let block = 0; block < 3; block++) {
    forward(sim, S)
    rolls.push(writeBlock(sim, DEMO.cdp1, block, 1))
  }
  const now = forward(sim, S)
  const [, first, second] = rolls as [bigint, bigint, bigint]
  t.same((await sim.info(VOLUME)).cdp_info.map((s) => s.startTime), [START, first, second], 'each write after the first opened a segment')
  await sim.clean(VOLUME, 1n)
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [
    [{ from: START, to: first, seq: 0n }, { from: second, to: now, seq: 2n }],
    [{ from: first + 1n, to: second - 1n, reason: 'cleaned' }]
  ])
})

t.test('each past disk fault is a gap of its own reason, and one still open runs to now', async (t) => {
  const sim = openDemo(t)
  await sim.enable([VOLUME])
  for (const state of ['full', 'ok', 'failed', 'ok', 'full'] as const) {
    forward(sim, 5n * S)
    sim.setDiskState(DEMO.host1, '/dev/sdd', state)
  }
  const now = forward(sim, 5n * S)
  const [full, ok, failed, okAgain, fullAgain] = (await sim.events(VOLUME, { page_num: 0, page_size: 0 })).events
    .filter((e) => e.kind.startsWith('disk_')).map((e) => e.time) as [bigint, bigint, bigint, bigint, bigint]
  t.same((await sim.window(VOLUME)).gaps, [
    { from: full, to: ok - 1n, reason: 'disk_full' },
    { from: failed, to: okAgain - 1n, reason: 'disk_failed' },
    { from: fullAgain, to: now, reason: 'disk_full' }
  ])
})

t.test('before the oldest segment, the time the last trim cut is its reason, and only that time', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(TIB, 30n), [VOLUME])
  await sim.enable([VOLUME])
  const off = forward(sim, 105n * S)
  await sim.disable([VOLUME])
  const on = forward(sim, 5n * S)
  await sim.enable([VOLUME])
  const now = forward(sim, 5n * S)
  const [trim] = (await sim.events(VOLUME, { page_num: 0, page_size: 0 })).events.filter((e) => e.kind === 'trimmed_by_duration').slice(-1)
  t.ok(trim?.to !== undefined && trim.to < off, 'the last trim kept a point of seq 0')
  await sim.clean(VOLUME, 0n)
  // seq 0 began at the trim's oldest point; the clean leaves the time before it trimmed, and its own span cleaned.
  t.same((await sim.window(VOLUME)).gaps, [
    { from: now - 30n * S, to: (trim?.to ?? 0n) - 1n, reason: 'no_base_snapshot' },
    { from: trim?.to, to: off, reason: 'cleaned' },
    { from: off + 1n, to: on - 1n, reason: 'disabled' }
  ])
})

/** The first snapshot of the volume's oldest segment, as `info` lists it. */
async function firstSnapshot (sim: Simulator): Promise<{ name: string, time: bigint }> {
  const [snap] = (await sim.info(VOLUME)).cdp_info[0]?.snaps ?? []
  if (snap === undefined) throw new Error('the oldest segment has no snapshot')
  return snap
}

/** reserve_duration 30 s, snapshots every `interval` s, and a view on the first write, a second after the enable. */
async function viewOnFirstWrite (t: Test, interval: number): Promise<{ sim: Simulator, base: { name: string, time: bigint }, point: bigint }> {
  const sim = openDemo(t, { snapshotIntervalSeconds: interval })
  await sim.edit(policy(TIB, 30n), [VOLUME])
  await sim.enable([VOLUME])
  const base = await firstSnapshot(sim)
  forward(sim, S)
  const point = writeBlock(sim, DEMO.cdp1, 0, 1)
  await sim.viewOn(VOLUME, { snapshot_name: base.name, timestamp: point })
  return { sim, base, point }
}

/**
 * reserve_duration 30 s and a view holding a point a second into the first segment, which is
 * written twice and closed 20 s in; answers the simulator, the view's point and the ns
 * CDP went off.
 */
async function viewHoldsClosedSegment (t: Test): Promise<{ sim: Simulator, point: bigint, off: bigint }> {
  const { sim, point } = await viewOnFirstWrite(t, 3600)
  forward(sim, S)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  const off = forward(sim, 18n * S)
  await sim.disable([VOLUME])
  return { sim, point, off }
}

t.test('a view\'s point keeps a closed segment whose snapshots retention dropped: it is no_base_snapshot from the cut to its end', async (t) => {
  const { sim, point, off } = await viewHoldsClosedSegment(t)
  const on = forward(sim, 5n * S)
  await sim.enable([VOLUME])
  const now = forward(sim, 15n * S)
  t.same((await sim.info(VOLUME)).cdp_info.map((s) => [s.seq, s.startTime, s.snaps.length]), [[0n, point, 0], [1n, on, 1]],
    'seq 0 lost its snapshot to the cut and starts at the view\'s point')
  // The cut (now - 30 s) falls inside seq 0: the window starts there, not at seq 0's start.
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [
    [{ from: on, to: now, seq: 1n }],
    [{ from: now - 30n * S, to: off, reason: 'no_base_snapshot' }, { from: off + 1n, to: on - 1n, reason: 'disabled' }]
  ])
})

t.test('a view\'s point keeps the active segment\'s start before its oldest snapshot left: from the cut to that snapshot is no_base_snapshot', async (t) => {
  const { sim, base, point } = await viewOnFirstWrite(t, 10)
  const now = forward(sim, 44n * S)
  // Snapshots every 10 s from the enable: the oldest at or after the cut (now - 30 s) is 20 s in.
  const oldest = base.time + 20n * S
  t.ok(now - 30n * S < oldest, 'the cut falls between two snapshots')
  t.same((await sim.info(VOLUME)).cdp_info.map((s) => [s.startTime, s.snaps[0]?.time]), [[point, oldest]])
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [
    [{ from: oldest, to: now, seq: 0n }],
    [{ from: now - 30n * S, to: oldest - 1n, reason: 'no_base_snapshot' }]
  ])
})

t.test('a disk fault that outlasts its segment is disk_full to the segment\'s end; the time after is disabled', async (t) => {
  const sim = openDemo(t)
  await sim.enable([VOLUME])
  forward(sim, 10n * S)
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'full')
  const off = forward(sim, 5n * S)
  await sim.disable([VOLUME])
  forward(sim, 5n * S)
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'ok')
  const now = forward(sim, 5n * S)
  const [full] = (await sim.events(VOLUME, { page_num: 0, page_size: 0 })).events.filter((e) => e.kind === 'disk_full').map((e) => e.time)
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [
    [{ from: START, to: (full ?? 0n) - 1n, seq: 0n }],
    [{ from: full, to: off, reason: 'disk_full' }, { from: off + 1n, to: now, reason: 'disabled' }]
  ])
})

t.test('a disk fault before the oldest snapshot a view\'s point left its segment is no_base_snapshot time, not disk_full', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(TIB, 30n), [VOLUME])
  await sim.enable([VOLUME])
  const base = await firstSnapshot(sim)
  forward(sim, S)
  await sim.viewOn(VOLUME, { snapshot_name: base.name, timestamp: writeBlock(sim, DEMO.cdp1, 0, 1) })
  forward(sim, 15n * S)
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'full')
  forward(sim, 2n * S)
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'ok')
  const now = forward(sim, 27n * S)
  // The fault (16 s to 18 s in) lies between the cut (15 s in) and the oldest snapshot left (20 s in).
  const oldest = base.time + 20n * S
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [
    [{ from: oldest, to: now, seq: 0n }],
    [{ from: now - 30n * S, to: oldest - 1n, reason: 'no_base_snapshot' }]
  ])
})

t.test('while off after a segment whose snapshots retention dropped, the time since its end is disabled', async (t) => {
  const { sim, off } = await viewHoldsClosedSegment(t)
  const now = forward(sim, 20n * S)
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [
    [],
    [{ from: now - 30n * S, to: off, reason: 'no_base_snapshot' }, { from: off + 1n, to: now, reason: 'disabled' }]
  ])
})

/** Gaps that touch and share a reason, joined: how a time is explained, not where the code split it. */
function joined (gaps: WindowFacts['gaps']): WindowFacts['gaps'] {
  const out: WindowFacts['gaps'] = []
  for (const gap of gaps) {
    const last = out[out.length - 1]
    if (last !== undefined && last.reason === gap.reason && last.to + 1n === gap.from) last.to = gap.to
    else out.push({ ...gap })
  }
  return out
}

t.test('a view\'s point after the cut, whose base snapshot the cut dropped: from the cut to the oldest snapshot left is no_base_snapshot', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(TIB, 30n), [VOLUME])
  await sim.enable([VOLUME])
  const start = (await firstSnapshot(sim)).time
  forward(sim, 21n * S)
  const point = forward(sim, 6n * S)
  await sim.viewOn(VOLUME, { snapshot_name: `CDP-auto-${start / S + 20n}`, timestamp: point })
  const now = forward(sim, 28n * S)
  // The cut (now - 30 s, 25 s in) drops the view's base (20 s in); the oldest left is 30 s in; the point (27 s in) lies between.
  const oldest = start + 30n * S
  t.same((await sim.info(VOLUME)).cdp_info.map((s) => [s.startTime, s.snaps[0]?.time]), [[point, oldest]], 'seq 0 starts at the point')
  const window = await sim.window(VOLUME)
  checkPartition(window, now)
  t.same([window.ranges, joined(window.gaps)], [
    [{ from: oldest, to: now, seq: 0n }],
    [{ from: now - 30n * S, to: oldest - 1n, reason: 'no_base_snapshot' }]
  ])
})

t.test('with no segment left, the last trim\'s reason runs to its oldest point and the cleaned and off times after it keep theirs', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(TIB, 30n), [VOLUME])
  await sim.enable([VOLUME])
  const off = forward(sim, 105n * S)
  await sim.disable([VOLUME])
  await sim.clean(VOLUME, 0n)
  const now = forward(sim, 3n * S)
  // Snapshots every 10 s: at the disable the cut (75 s in) left the one 80 s in as the oldest point; now the cut is 78 s in.
  const oldest = START + 80n * S
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [
    [],
    [
      { from: now - 30n * S, to: oldest - 1n, reason: 'no_base_snapshot' },
      { from: oldest, to: off, reason: 'cleaned' },
      { from: off + 1n, to: now, reason: 'disabled' }
    ]
  ])
})

t.test('a write that fills segments at once: the one closed in the ns it opened adds no gap, that ns is recoverable', async (t) => {
  const sim = openDemo(t, { segmentCapacity: BigInt(BLOCK_SIZE) })
  await sim.enable([VOLUME])
  const at = sim.write(DEMO.cdp1, [{ offset: 0, length: 3 * BLOCK_SIZE, fill: 1 }]).time
  const now = forward(sim, S)
  t.same((await sim.info(VOLUME)).cdp_info.map((s) => [s.seq, s.startTime, s.snaps.length]), [[0n, START, 1], [1n, at, 0], [2n, at, 1]])
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [[{ from: START, to: at, seq: 0n }, { from: at, to: now, seq: 2n }], []])
})

t.test('an enable that journals more than a segment while off: only the off time is a gap, the enable\'s ns is recoverable', async (t) => {
  const sim = openDemo(t, { segmentCapacity: BigInt(BLOCK_SIZE) })
  await sim.enable([VOLUME])
  const off = forward(sim, S)
  await sim.disable([VOLUME])
  for (const block of [1, 2]) writeBlock(sim, DEMO.cdp1, block, 1)
  forward(sim, S)
  await sim.enable([VOLUME])
  const [on] = (await sim.info(VOLUME)).cdp_info.slice(1).map((s) => s.startTime)
  const now = forward(sim, S)
  t.same((await sim.info(VOLUME)).cdp_info.map((s) => [s.seq, s.startTime, s.snaps.length]), [[0n, START, 1], [1n, on, 0], [2n, on, 1]])
  t.same(await sim.window(VOLUME).then((w) => [w.ranges, w.gaps]), [
    [{ from: START, to: off, seq: 0n }, { from: on, to: now, seq: 2n }],
    [{ from: off + 1n, to: (on ?? 0n) - 1n, reason: 'disabled' }]
  ])
})

t.test('every time in a range takes a view, no time in a gap does; events name each enable and disable', async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
    const sim = openDemo(t, { snapshotIntervalSeconds: 60, segmentCapacity: BigInt(3 * BLOCK_SIZE) })
    await sim.edit(policy(BigInt(8 * BLOCK_SIZE), 86400n), [VOLUME])
    await sim.enable([VOLUME])
    const toggles = await play(sim, steps)
    const window = await sim.window(VOLUME)
    checkPartition(window, sim.clock().now)
    for (const range of window.ranges) {
      for (const at of [range.from, (range.from + range.to) / 2n, range.to]) {
        if (!await viewable(sim, at)) throw new Error(`${at} in range ${range.from}..${range.to} took no view`)
      }
    }
    for (const gap of window.gaps) {
      for (const at of [gap.from, (gap.from + gap.to) / 2n, gap.to]) {
        if (await viewable(sim, at)) throw new Error(`${at} in a ${gap.reason} gap ${gap.from}..${gap.to} took a view`)
      }
    }
    const { events } = await sim.events(VOLUME, { page_num: 0, page_size: 0 })
    t.same(events.filter((e) => e.kind === 'enabled' || e.kind === 'disabled').map((e) => e.kind), toggles)
    await sim.close()
  }), { numRuns: 40 })
})

t.test('off for longer than reserve_duration: the window is all disabled, before and after a new enable (not a missing base)', async (t) => {
  const sim = openDemo(t)
  await sim.edit(policy(TIB, 60n), [VOLUME])
  await sim.enable([VOLUME])
  writeBlock(sim, DEMO.cdp1, 0, 1)
  forward(sim, 10n * S)
  await sim.disable([VOLUME])
  forward(sim, 200n * S)
  const window = await sim.window(VOLUME)
  const now = sim.clock().now
  t.same(window, {
    ranges: [],
    gaps: [{ from: now - 60n * S, to: now, reason: 'disabled' }],
    configured_seconds: 60n,
    actual_seconds: 0n,
    recoverable_seconds: 0n,
    on_seconds: 0n,
    use: 0n,
    capacity: TIB
  }, 'still off: every second of the window')
  const on = forward(sim, 30n * S)
  await sim.enable([VOLUME])
  forward(sim, 5n * S)
  const again = await sim.window(VOLUME)
  const later = sim.clock().now
  t.match(again, {
    ranges: [{ from: on, to: later }],
    gaps: [{ from: later - 60n * S, to: on - 1n, reason: 'disabled' }]
  }, 'on again: the time before the enable')
  t.equal(again.gaps.length, 1)
})

t.test('a segment whose snapshots the cut took, closed by a disable inside the window: trimmed up to its end, disabled after it', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 3600 })
  await sim.edit(policy(TIB, 30n), [VOLUME])
  await sim.enable([VOLUME])
  writeBlock(sim, DEMO.cdp1, 0, 1)
  const off = forward(sim, 20n * S)
  await sim.disable([VOLUME])
  forward(sim, 25n * S)
  const window = await sim.window(VOLUME)
  const now = sim.clock().now
  t.same([window.ranges, window.gaps], [[], [
    { from: now - 30n * S, to: off, reason: 'no_base_snapshot' },
    { from: off + 1n, to: now, reason: 'disabled' }
  ]])
})
