// Points in time: images at recoverable times, and which (snapshot, timestamp) pairs name one;
// a range of an image read in one query is its blocks read one by one.
import fc from 'fast-check'
import t from 'tap'
import { BLOCK_SIZE, digestOfHashes, sha256 } from '../../simulator/content.js'
import type { Simulator } from '../../simulator/index.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'
import { DEMO } from '../helpers/demo.js'
import { advanceSeconds, failure, openDemo, pointAt, policy, ref, refusalDesc, writeBlock, openCdp1 } from '../helpers/simulator.js'

t.test('the image at a time is per block the newest write at or before it', async (t) => {
  const sim = await openCdp1(t)
  const first = writeBlock(sim, DEMO.cdp1, 0, 1)
  const atFirst = sim.image(DEMO.cdp1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  t.equal(sim.image(DEMO.cdp1, first).digest, atFirst)
  t.equal(sim.image(DEMO.cdp1, first + 999_999_999n).digest, atFirst, 'until the next write')
  t.not(sim.image(DEMO.cdp1).digest, atFirst)
})

t.test('a time after now, or before the journal, is not recoverable', async (t) => {
  const sim = openDemo(t)
  const start = sim.clock().now
  await sim.enable([ref(DEMO.cdp1)])
  t.equal(await failure(() => sim.image(DEMO.cdp1, start - 1n)), 'POINT_NOT_RECOVERABLE')
  t.equal(await failure(() => sim.image(DEMO.cdp1, start + 1n)), 'POINT_NOT_RECOVERABLE')
})

t.test('a point must name an existing snapshot that is its base', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 15)
  const { snaps } = (await sim.info(ref(DEMO.cdp1))).cdp_info[0] ?? { snaps: [] }
  const [first, second] = snaps
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: 'CDP-auto-1', timestamp: sim.clock().now })), 'SNAPSHOT_NOT_FOUND')
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: second?.name ?? '', timestamp: (first?.time ?? 0n) + 1n })),
    'SNAPSHOT_NOT_BASE', 'a snapshot after the time is not its base')
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: first?.name ?? '', timestamp: sim.clock().now + 1n })),
    'POINT_NOT_RECOVERABLE', 'a time after now')
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: first?.name ?? '', timestamp: sim.clock().now })),
    'no error', 'an older snapshot of the same segment is a base too')
})

t.test('a point in a closed segment\'s CDP-off gap is refused against that segment\'s snapshot', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const [{ snaps: [first] = [] } = { snaps: [] }] = (await sim.info(ref(DEMO.cdp1))).cdp_info
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 1)
  advanceSeconds(sim, 1)
  await sim.disable([ref(DEMO.cdp1)])
  const closedAt = sim.clock().now
  advanceSeconds(sim, 10)
  const snapshot = first?.name ?? ''
  for (const timestamp of [closedAt + 1n, closedAt + 5_000_000_000n]) {
    t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: snapshot, timestamp })), 'SNAPSHOT_NOT_BASE', `view at ${timestamp}`)
    t.equal(await failure(() => sim.revert(ref(DEMO.cdp1), { snapshot_name: snapshot, timestamp })), 'SNAPSHOT_NOT_BASE', `revert at ${timestamp}`)
    t.equal(await failure(() => sim.image(DEMO.cdp1, timestamp)), 'POINT_NOT_RECOVERABLE', `image at ${timestamp}`)
  }
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: snapshot, timestamp: closedAt })), 'no error', 'the segment\'s last ns is a point')
})

t.test('segments rolled at one ns share a snapshot name and time: the name is a base for the newest one\'s times', async (t) => {
  // Segments hold 3 blocks: with the first one full, a write at the auto snapshot's exact ns
  // rolls a segment at that ns, whose first snapshot has the name and time of the one before.
  const sim = openDemo(t, { snapshotIntervalSeconds: 5, segmentCapacity: 3n * BigInt(BLOCK_SIZE) })
  await sim.enable([ref(DEMO.cdp1)])
  const tickAt = sim.clock().now + 5n * NS_PER_SECOND
  for (const block of [0, 1, 2]) writeBlock(sim, DEMO.cdp1, block, 1)
  sim.advance(tickAt - sim.clock().now)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 3 * BLOCK_SIZE, fill: 2 }])
  const segments = (await sim.info(ref(DEMO.cdp1))).cdp_info
  const tick = segments.at(-1)?.snaps[0]
  t.ok(tick !== undefined && segments.slice(0, -1).some((s) => s.snaps.some((snap) => snap.name === tick.name && snap.time === tick.time)),
    'two segments hold a snapshot of one name and time')
  advanceSeconds(sim, 1)
  const point = { snapshot_name: tick?.name ?? '', timestamp: sim.clock().now - 1n }
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), point)), 'no error', 'a time after the shared ns, in the newer segment')
})

/** A step of a random history on DEMO.cdp1: a run of blocks written, time passing, CDP off or on, a revert. */
type Step =
  | { op: 'write', block: number, count: number, fill: number, pattern: boolean }
  | { op: 'advance', ns: bigint }
  | { op: 'toggle' }
  | { op: 'revert', pick: number }

const WRITTEN_BLOCKS = 24
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('write' as const),
      block: fc.integer({ min: 0, max: WRITTEN_BLOCKS - 4 }),
      count: fc.integer({ min: 1, max: 4 }),
      // 0 zeroes the run: a block that reads as zeros but has a row.
      fill: fc.integer({ min: 0, max: 255 }),
      pattern: fc.boolean()
    })
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), ns: fc.constantFrom(1n, 1000n, NS_PER_SECOND) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'toggle' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('revert' as const), pick: fc.nat() }) }
)

/** Bytes that differ from block to block (a fill alone would hide a block read at another's place). */
function runBytes (block: number, count: number, fill: number): Buffer {
  const bytes = Buffer.alloc(count * BLOCK_SIZE, fill)
  for (let i = 0; i < count; i++) bytes.writeUInt32BE(block + i + 1, i * BLOCK_SIZE + (fill % 64) * 8)
  return bytes
}

/** A recoverable time: the `pick`-th of each range's ends and middle. */
function recoverableTime (sim: Simulator, pick: number): bigint | undefined {
  const times = sim.recoverable(DEMO.cdp1).ranges.flatMap((r) => [r.from, (r.from + r.to) / 2n, r.to])
  return times.length === 0 ? undefined : times[pick % times.length]
}

async function play (sim: Simulator, steps: Step[]): Promise<void> {
  const volume = ref(DEMO.cdp1)
  // A small reserve folds the oldest history into the base as the history grows.
  await sim.edit(policy(12n * BigInt(BLOCK_SIZE), 3600n), [volume])
  await sim.enable([volume])
  let on = true
  for (const s of steps) {
    if (s.op === 'write') {
      sim.write(DEMO.cdp1, [s.pattern
        ? { offset: s.block * BLOCK_SIZE, data: runBytes(s.block, s.count, s.fill) }
        : { offset: s.block * BLOCK_SIZE, length: s.count * BLOCK_SIZE, fill: s.fill }])
    } else if (s.op === 'advance') sim.advance(s.ns)
    else if (s.op === 'toggle') {
      await (on ? sim.disable([volume]) : sim.enable([volume]))
      on = !on
    } else {
      const time = on ? recoverableTime(sim, s.pick) : undefined
      if (time !== undefined) await sim.revert(volume, await pointAt(sim, volume, time))
    }
  }
  if (!on) await sim.enable([volume])
}

type Read = (offset: number, length: number) => Buffer
type Allocated = (offset: number, length: number) => Array<{ first: number, count: number }>

/** The range read of blocks first…end-1 against its blocks read one by one, and its allocated runs (if given) against the blocks that are not zeros. */
function checkRange (what: string, { first, end }: { first: number, end: number }, read: Read, allocated?: Allocated): void {
  const whole = read(first * BLOCK_SIZE, (end - first) * BLOCK_SIZE)
  const blocks = Array.from({ length: end - first }, (_, i) => read((first + i) * BLOCK_SIZE, BLOCK_SIZE))
  if (!whole.equals(Buffer.concat(blocks))) throw new Error(`${what}: the read of blocks ${first}–${end - 1} is not its blocks one by one`)
  if (allocated === undefined) return
  const expected = blocks.flatMap((bytes, i) => bytes.equals(Buffer.alloc(BLOCK_SIZE)) ? [] : [first + i])
  const runs = allocated(first * BLOCK_SIZE, (end - first) * BLOCK_SIZE).flatMap((run) => Array.from({ length: run.count }, (_, i) => run.first + i))
  if (runs.join() !== expected.join()) throw new Error(`${what}: allocated ${runs.join()} in blocks ${first}–${end - 1}, but ${expected.join()} are not zeros`)
}

/** The image digest of blocks 0…n-1 from their bytes, as a client computes it. */
function digestOfBytes (image: Buffer): string {
  const blocks = Array.from({ length: image.length / BLOCK_SIZE }, (_, block) => ({ block, bytes: image.subarray(block * BLOCK_SIZE, (block + 1) * BLOCK_SIZE) }))
  return digestOfHashes(blocks.filter((b) => !b.bytes.equals(Buffer.alloc(BLOCK_SIZE))).map(({ block, bytes }) => ({ block, hash: sha256(bytes) })))
}

t.test('a range read is its blocks read one by one, live, at a point and in a view, over random histories', async (t) => {
  const range = fc.tuple(fc.integer({ min: 0, max: WRITTEN_BLOCKS + 4 }), fc.integer({ min: 1, max: WRITTEN_BLOCKS + 4 }))
    .map(([first, length]) => ({ first, end: first + length }))
  await t.resolves(fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), fc.nat(), range, async (steps, pick, blocks) => {
    const sim = openDemo(t, { snapshotIntervalSeconds: 1, segmentCapacity: 4n * BigInt(BLOCK_SIZE) })
    try {
      await play(sim, steps)
      checkRange('live', blocks, (o, l) => sim.readImage(DEMO.cdp1, o, l), (o, l) => sim.allocated(DEMO.cdp1, o, l, false))
      const at = recoverableTime(sim, pick)
      if (at === undefined) throw new Error('CDP is on, so some time is recoverable')
      checkRange(`at ${at}`, blocks, (o, l) => sim.readImage(DEMO.cdp1, o, l, at))
      const image = sim.readImage(DEMO.cdp1, 0, WRITTEN_BLOCKS * BLOCK_SIZE, at)
      if (digestOfBytes(image) !== sim.image(DEMO.cdp1, at).digest) throw new Error(`the bytes read at ${at} are not the image its digest names`)
      await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
      checkRange(`view at ${at}`, blocks, (o, l) => sim.readView(DEMO.cdp1, o, l), (o, l) => sim.allocated(DEMO.cdp1, o, l, true))
      if (!sim.readView(DEMO.cdp1, 0, WRITTEN_BLOCKS * BLOCK_SIZE).equals(image)) throw new Error(`the view at ${at} is not the image at ${at}`)
    } finally {
      await sim.close()
    }
  }), { numRuns: 100 }))
})

t.test('a read of the volume now answers the bytes last written, at a point the bytes then, and its allocated runs are maximal', async (t) => {
  const sim = await openCdp1(t)
  const fills = (...bytes: number[]): Buffer => Buffer.concat(bytes.map((b) => Buffer.alloc(BLOCK_SIZE, b)))
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 1 }, { offset: 3 * BLOCK_SIZE, length: BLOCK_SIZE, fill: 3 }])
  const before = sim.clock().now
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 1, 2)
  t.same(sim.readImage(DEMO.cdp1, 0, 5 * BLOCK_SIZE), fills(1, 2, 0, 3, 0), 'now: the newest bytes of each block, zeros where none was written')
  t.same(sim.readImage(DEMO.cdp1, 0, 5 * BLOCK_SIZE, before), fills(1, 1, 0, 3, 0), 'at the point before the last write')
  t.same(sim.allocated(DEMO.cdp1, 0, 5 * BLOCK_SIZE, false), [{ first: 0, count: 2 }, { first: 3, count: 1 }], 'adjacent written blocks are one run')
})

t.test('a segment whose host is offline or whose disk failed holds no recoverable time and names no point; a full disk\'s segment still does', async (t) => {
  const sim = await openCdp1(t)
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  const point = await pointAt(sim, ref(DEMO.cdp1), at)
  advanceSeconds(sim, 1)
  const ranges = sim.recoverable(DEMO.cdp1).ranges
  t.ok(ranges.length > 0)
  sim.setHostOnline(DEMO.host1, false)
  t.same(sim.recoverable(DEMO.cdp1).ranges, [], 'host offline')
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), point)), 'SEGMENT_OFFLINE')
  sim.setHostOnline(DEMO.host1, true)
  t.same(sim.recoverable(DEMO.cdp1).ranges, ranges, 'back online: the same ranges')
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'failed')
  t.same(sim.recoverable(DEMO.cdp1).ranges, [], 'disk failed')
  t.equal(await failure(() => sim.image(DEMO.cdp1, at)), 'POINT_NOT_RECOVERABLE')
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'ok')
  sim.setDiskState(DEMO.host1, '/dev/sdd', 'full')
  t.ok(sim.recoverable(DEMO.cdp1).ranges.some((r) => r.from <= at && at <= r.to), 'disk full: the time before the fault is still a point')
  t.equal(await failure(() => sim.image(DEMO.cdp1, at)), 'no error')
})

t.test('each refusal of a point says what it refused', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 15)
  const [first, second] = (await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.snaps ?? []
  const now = sim.clock().now
  const early = (first?.time ?? 0n) - 1n
  t.equal(await refusalDesc(() => sim.image(DEMO.cdp1, early)), `${early}`, 'a time outside every range is named')
  t.equal(await refusalDesc(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: first?.name ?? '', timestamp: now + 1n })),
    `timestamp ${now + 1n} is after now (${now})`)
  const notBase = (first?.time ?? 0n) + 1n
  t.equal(await refusalDesc(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: second?.name ?? '', timestamp: notBase })),
    `${second?.name ?? ''} covers ${second?.time ?? 0n} to ${now}, not ${notBase}`, 'the snapshot, the span it covers, and the time')
  sim.setHostOnline(DEMO.host1, false)
  t.equal(await refusalDesc(() => sim.viewOn(ref(DEMO.cdp1), { snapshot_name: first?.name ?? '', timestamp: now })), 'usd_seq 0', 'the offline segment')
})
