// clean: the whole CDP (usd_seq absent) or one journal segment (usd_seq present, 0 included).
import t from 'tap'
import type { Simulator } from '../../simulator/index.js'
import { advanceSeconds, eventsOfKind, failure, openDemo, outcomes, policy, pointAt, ref, refusalDesc, writeBlock, openCdp1 } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'

const TIB = 1024n ** 4n

/** CDP-1 with segments of two blocks: seq 0 and 1 full and closed, seq 2 active, each with a snapshot. */
async function threeSegments (sim: Simulator): Promise<void> {
  await sim.enable([ref(DEMO.cdp1)])
  for (let i = 0; i < 3; i++) {
    advanceSeconds(sim, 1)
    sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: i + 1 }])
    advanceSeconds(sim, 1)
  }
}

t.test('clean of the whole CDP is refused while CDP is on', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  t.equal(await failure(() => sim.clean(ref(DEMO.cdp1))), 'CDP_IS_ON')
  t.equal((await sim.info(ref(DEMO.cdp1))).cdp_info.length, 1, 'nothing was deleted')
})

t.test('clean of the whole CDP deletes journal, snapshots and policy, and frees the reservation', async (t) => {
  const sim = openDemo(t)
  await sim.edit(policy(2n * TIB, 60n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  await sim.disable([ref(DEMO.cdp1)])
  await sim.clean(ref(DEMO.cdp1))
  t.equal(await failure(() => sim.info(ref(DEMO.cdp1))), 'CDP_NOT_FOUND')
  t.same((await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List, [])
  t.same(outcomes(await sim.edit(policy(2n * TIB, 60n), [ref(DEMO.vol1)])), ['ok'], 'the 2 TiB disk has room again')
})

t.test('clean of the whole CDP is refused while a view is on', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), sim.clock().now))
  await sim.disable([ref(DEMO.cdp1)])
  t.equal(await failure(() => sim.clean(ref(DEMO.cdp1))), 'VIEW_IS_ON')
})

t.test('clean of a volume without CDP is CDP_NOT_FOUND', async (t) => {
  const sim = openDemo(t)
  t.equal(await failure(() => sim.clean(ref(DEMO.cdp1))), 'CDP_NOT_FOUND')
})

t.test('clean of the active segment is refused', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  t.equal(await failure(() => sim.clean(ref(DEMO.cdp1), 0n)), 'SEGMENT_ACTIVE')
})

t.test('usd_seq 0 is a real segment: cleaning it deletes that segment only', async (t) => {
  const sim = openDemo(t, { segmentCapacity: 2n * BigInt(BLOCK_SIZE) })
  await threeSegments(sim)
  await sim.clean(ref(DEMO.cdp1), 0n)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [1n, 2n])
  t.same(sim.recoverable(DEMO.cdp1).ranges.map((r) => r.seq), [1n, 2n])
})

t.test('clean of a middle segment removes exactly its range and no other point\'s image', async (t) => {
  const sim = openDemo(t, { segmentCapacity: 2n * BigInt(BLOCK_SIZE) })
  await threeSegments(sim)
  const before = sim.recoverable(DEMO.cdp1).ranges
  const images = before.filter((r) => r.seq !== 1n).flatMap((r) => [r.from, r.to]).map((time) => [time, sim.image(DEMO.cdp1, time).digest] as const)
  await sim.clean(ref(DEMO.cdp1), 1n)
  t.same(sim.recoverable(DEMO.cdp1).ranges, before.filter((r) => r.seq !== 1n))
  for (const [time, digest] of images) t.equal(sim.image(DEMO.cdp1, time).digest, digest, `the image at ${time} is unchanged`)
})

t.test('clean of a segment keeps the image at the previous segment\'s end when one write spans both', async (t) => {
  const sim = await openCdp1(t, { segmentCapacity: 3n * BigInt(BLOCK_SIZE) })
  writeBlock(sim, DEMO.cdp1, 0, 1)
  const split = sim.write(DEMO.cdp1, [{ offset: 0, length: 4 * BLOCK_SIZE, fill: 2 }]).time
  const whole = sim.image(DEMO.cdp1, split).digest
  advanceSeconds(sim, 1)
  await sim.disable([ref(DEMO.cdp1)])
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [0n, 1n], 'the write filled seq 0 and went on in seq 1')
  await sim.clean(ref(DEMO.cdp1), 1n)
  t.equal(sim.image(DEMO.cdp1, split).digest, whole, 'the write is whole at seq 0\'s last point')
})

t.test('clean of a segment that does not exist is SEGMENT_NOT_FOUND', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  t.equal(await failure(() => sim.clean(ref(DEMO.cdp1), 7n)), 'SEGMENT_NOT_FOUND')
})

t.test('clean of a segment holding the view is refused', async (t) => {
  const sim = openDemo(t, { segmentCapacity: 2n * BigInt(BLOCK_SIZE) })
  await threeSegments(sim)
  const [first] = sim.recoverable(DEMO.cdp1).ranges
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), first?.from ?? 0n, 0n))
  t.equal(await failure(() => sim.clean(ref(DEMO.cdp1), 0n)), 'VIEW_IS_ON')
})

/** The bytes of blocks 0…fills.length-1, each a repeated byte (0 for a block never written). */
function blocksOf (...fills: number[]): Buffer {
  return Buffer.concat(fills.map((fill) => Buffer.alloc(BLOCK_SIZE, fill)))
}

/** Each segment's seq, use in blocks and io times, as info reports them. */
async function segmentFacts (sim: Simulator): Promise<Array<[bigint, bigint, bigint, bigint]>> {
  return (await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => [s.seq, s.use / BigInt(BLOCK_SIZE), s.ioStartTime, s.ioLastTime])
}

t.test('clean of a middle segment: its rows in the ns the previous one ended go back there, its newest row per block moves to the next one\'s start, and each counts what it got', async (t) => {
  const sim = await openCdp1(t, { segmentCapacity: 3n * BigInt(BLOCK_SIZE) })
  const at: bigint[] = []
  // seq 0 takes blocks 0, 1, 2 a second apart; the fourth write finds it full and opens seq 1 in its ns.
  for (const [block, fill] of [[0, 1], [1, 2], [2, 3], [0, 4], [1, 5], [0, 6]] as const) {
    at.push(writeBlock(sim, DEMO.cdp1, block, fill))
    advanceSeconds(sim, 1)
  }
  const [first, , , opened] = at as [bigint, bigint, bigint, bigint]
  const closed = sim.clock().now
  await sim.disable([ref(DEMO.cdp1)])
  const enabled = advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const late = writeBlock(sim, DEMO.cdp1, 3, 9)
  advanceSeconds(sim, 1)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.startTime).slice(1), [opened, enabled], 'seq 1 opened at the fourth write, seq 2 at the enable')

  await sim.clean(ref(DEMO.cdp1), 1n)
  t.same(sim.recoverable(DEMO.cdp1).ranges.map((r) => r.seq), [0n, 2n])
  t.same(sim.readImage(DEMO.cdp1, 0, 4 * BLOCK_SIZE, opened), blocksOf(4, 2, 3, 0), 'seq 0\'s last point still holds the write that opened seq 1')
  t.same(sim.readImage(DEMO.cdp1, 0, 4 * BLOCK_SIZE, enabled), blocksOf(6, 5, 3, 0), 'seq 2\'s first point holds seq 1\'s last write of each block')
  t.same(sim.readImage(DEMO.cdp1, 0, 4 * BLOCK_SIZE, late), blocksOf(6, 5, 3, 9))
  t.same(await segmentFacts(sim), [
    [0n, 4n, first, opened], // its three rows and the one moved back, in the ns it ended
    [2n, 3n, enabled, late] // its own row and the two carried to its start
  ])
  t.same((await eventsOfKind(sim, DEMO.cdp1, 'segment_cleaned')).map((e) => [e.seq, e.from, e.to, e.time]),
    [[1n, opened, closed, sim.clock().now]], 'the event names the segment and its times, at the call\'s now')
})

t.test('clean of the newest closed segment: its writes are live content the journal no longer holds, journaled again at the next enable; the previous segment is unchanged', async (t) => {
  const sim = await openCdp1(t)
  const first = writeBlock(sim, DEMO.cdp1, 0, 1)
  advanceSeconds(sim, 1)
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 2 }])
  advanceSeconds(sim, 1)
  await sim.disable([ref(DEMO.cdp1)])
  const before = await segmentFacts(sim)
  advanceSeconds(sim, 1)

  await sim.clean(ref(DEMO.cdp1), 1n)
  t.same(await segmentFacts(sim), before.slice(0, 1), 'seq 0 got no row: its use and io times are as they were')
  t.same(before[0], [0n, 1n, first, first])
  const enabled = advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  t.same(sim.readImage(DEMO.cdp1, 0, 2 * BLOCK_SIZE, enabled), blocksOf(2, 2), 'the point at the enable is the live content')
  t.same(sim.readImage(DEMO.cdp1, 0, 2 * BLOCK_SIZE), blocksOf(2, 2))
})

t.test('each refusal of a clean says what it refused', async (t) => {
  const sim = openDemo(t, { segmentCapacity: 2n * BigInt(BLOCK_SIZE) })
  await threeSegments(sim)
  t.equal(await refusalDesc(() => sim.clean(ref(DEMO.cdp1))), 'disable CDP before deleting it')
  t.equal(await refusalDesc(() => sim.clean(ref(DEMO.cdp1), 2n)), 'usd_seq 2 is being written; disable CDP first')
  t.equal(await refusalDesc(() => sim.clean(ref(DEMO.cdp1), 7n)), 'usd_seq 7')
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), sim.recoverable(DEMO.cdp1).ranges[0]?.from ?? 0n, 0n))
  t.equal(await refusalDesc(() => sim.clean(ref(DEMO.cdp1), 0n)), 'a view is exposed from usd_seq 0')
  await sim.disable([ref(DEMO.cdp1)])
  t.equal(await refusalDesc(() => sim.clean(ref(DEMO.cdp1))), 'turn the view off before deleting CDP')
})

t.test('a usd_seq past int64 names no segment', async (t) => {
  const sim = await openCdp1(t)
  for (const seq of [2n ** 63n, 2n ** 64n - 1n]) {
    t.equal(await refusalDesc(() => sim.clean(ref(DEMO.cdp1), seq)), `usd_seq ${seq}`)
  }
})

t.test('a clean of the whole CDP is an event of the volume, kept after the CDP is gone', async (t) => {
  const sim = await openCdp1(t)
  await sim.disable([ref(DEMO.cdp1)])
  const now = advanceSeconds(sim, 1)
  await sim.clean(ref(DEMO.cdp1))
  t.same((await eventsOfKind(sim, DEMO.cdp1, 'cdp_cleaned')).map((e) => e.time), [now])
})
