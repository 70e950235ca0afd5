// clean: the whole CDP (usd_seq absent) or one journal segment (usd_seq present, 0 included).
import t from 'tap'
import type { Simulator } from '../../simulator/index.js'
import { advanceSeconds, failure, openDemo, outcomes, policy, pointAt, ref, writeBlock } from '../helpers/simulator.js'
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
  const sim = openDemo(t, { segmentCapacity: 3n * BigInt(BLOCK_SIZE) })
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
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
