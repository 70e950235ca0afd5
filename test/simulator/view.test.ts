// Views: a read-only image at a point, exposed on the host of its segment.
import t from 'tap'
import { advanceSeconds, eventsOfKind, failure, openDemo, pointAt, ref, writeBlock, openCdp1 } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'

t.test('view on exposes the image at its point on the segment\'s host', async (t) => {
  const sim = await openCdp1(t)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  const then = sim.image(DEMO.cdp1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  const { host_uuid: host } = await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
  t.equal(host, DEMO.host1, 'CDP-1\'s journal is on 10.30.12.237')
  t.same(sim.viewImage(DEMO.cdp1), { digest: then, time: at })
  t.equal((await sim.info(ref(DEMO.cdp1))).host_uuid, DEMO.host1, 'info names the view\'s host')
})

t.test('a view keeps its image while the volume goes on being written', async (t) => {
  const sim = await openCdp1(t)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
  const exposed = sim.viewImage(DEMO.cdp1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  t.equal(sim.viewImage(DEMO.cdp1).digest, exposed)
})

t.test('one view per volume: a second view on is VIEW_ALREADY_ON', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const point = await pointAt(sim, ref(DEMO.cdp1), sim.clock().now)
  await sim.viewOn(ref(DEMO.cdp1), point)
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), point)), 'VIEW_ALREADY_ON')
})

t.test('view off removes the view; without one it is VIEW_NOT_FOUND', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), sim.clock().now))
  await sim.viewOff(ref(DEMO.cdp1))
  t.equal((await sim.info(ref(DEMO.cdp1))).host_uuid, '')
  t.equal(await failure(() => sim.viewImage(DEMO.cdp1)), 'VIEW_NOT_FOUND')
  t.equal(await failure(() => sim.viewOff(ref(DEMO.cdp1))), 'VIEW_NOT_FOUND')
})

t.test('a view reads through the journal at its point: a range read and its allocated blocks are the point\'s', async (t) => {
  const sim = await openCdp1(t)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 3 * BLOCK_SIZE, fill: 1 }])
  const at = writeBlock(sim, DEMO.cdp1, 1, 0)
  advanceSeconds(sim, 1)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4 * BLOCK_SIZE, fill: 2 }])
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
  const block = (fill: number): Buffer => Buffer.alloc(BLOCK_SIZE, fill)
  t.same(sim.readView(DEMO.cdp1, BLOCK_SIZE, 3 * BLOCK_SIZE), Buffer.concat([block(0), block(1), block(0)]), 'blocks 1–3 as they were at the point')
  t.same(sim.allocated(DEMO.cdp1, 0, 4 * BLOCK_SIZE, true), [{ first: 0, count: 1 }, { first: 2, count: 1 }], 'zeroed and never-written blocks are holes')
  t.same(sim.allocated(DEMO.cdp1, 0, 4 * BLOCK_SIZE, false), [{ first: 0, count: 4 }], 'the volume itself has all four')
})

t.test('view on and off are events of the volume, each with the view\'s segment and point, at the call\'s own ns', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  const point = await pointAt(sim, ref(DEMO.cdp1), at)
  await sim.viewOn(ref(DEMO.cdp1), point)
  const onAt = sim.clock().now
  t.same(sim.viewFacts(DEMO.cdp1), { host_uuid: DEMO.host1, snapshot_name: point.snapshot_name, time: at }, 'the view\'s facts while it is on')
  advanceSeconds(sim, 1)
  await sim.viewOff(ref(DEMO.cdp1))
  const offAt = sim.clock().now
  t.equal(await failure(() => sim.viewFacts(DEMO.cdp1)), 'VIEW_NOT_FOUND', 'and none once it is off')
  const seq = (await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.seq
  t.same((await eventsOfKind(sim, DEMO.cdp1, 'view_on', 'view_off')).map(({ id: _, ...e }) => e), [
    { time: onAt, kind: 'view_on', seq, to: at },
    { time: offAt, kind: 'view_off', seq, to: at }
  ])
})
