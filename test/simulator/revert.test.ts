// Reverts: the volume rolled back in place, journaled as writes.
import t from 'tap'
import { advanceSeconds, eventsOfKind, failure, openDemo, pointAt, ref, writeBlock, openCdp1 } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'

t.test('revert is refused while the volume\'s VM is running', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.kenVolume)])
  const point = await pointAt(sim, ref(DEMO.kenVolume), sim.clock().now)
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.kenVolume, 0, 1)
  const before = sim.image(DEMO.kenVolume).digest
  t.equal(await failure(() => sim.revert(ref(DEMO.kenVolume), point)), 'VOLUME_IN_USE')
  t.equal(sim.image(DEMO.kenVolume).digest, before, 'nothing changed')
  sim.setVmRunning(DEMO.kenVm, false)
  t.equal(await failure(() => sim.revert(ref(DEMO.kenVolume), point)), 'no error', 'a stopped VM\'s volume may be reverted')
})

t.test('a volume whose VM is stopped may be reverted', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.linVolume)])
  const point = await pointAt(sim, ref(DEMO.linVolume), sim.clock().now)
  t.equal(await failure(() => sim.revert(ref(DEMO.linVolume), point)), 'no error')
})

t.test('revert is refused while a view is on', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const point = await pointAt(sim, ref(DEMO.cdp1), sim.clock().now)
  await sim.viewOn(ref(DEMO.cdp1), point)
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 1)
  const before = sim.image(DEMO.cdp1).digest
  t.equal(await failure(() => sim.revert(ref(DEMO.cdp1), point)), 'VIEW_IS_ON')
  t.equal(sim.image(DEMO.cdp1).digest, before, 'nothing changed')
})

t.test('revert makes the image at its point live, and a later revert to before it restores', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.linData)])
  advanceSeconds(sim, 1)
  const early = sim.write(DEMO.linData, [{ offset: 0, length: 2 * 4096, fill: 1 }]).time
  const earlyImage = sim.image(DEMO.linData).digest
  advanceSeconds(sim, 1)
  sim.write(DEMO.linData, [{ offset: 4096, length: 2 * 4096, fill: 2 }, { offset: 5 * 4096, data: new Uint8Array(4096).map((_, i) => i) }])
  const late = advanceSeconds(sim, 1)
  const lateImage = sim.image(DEMO.linData).digest
  advanceSeconds(sim, 1)
  await sim.revert(ref(DEMO.linData), await pointAt(sim, ref(DEMO.linData), early))
  t.equal(sim.image(DEMO.linData).digest, earlyImage, 'the live image is the image at the point')
  advanceSeconds(sim, 1)
  await sim.revert(ref(DEMO.linData), await pointAt(sim, ref(DEMO.linData), late))
  t.equal(sim.image(DEMO.linData).digest, lateImage, 'the revert is undone')
})

t.test('a revert is journaled: the time it happened is itself a point', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const empty = sim.image(DEMO.cdp1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 1)
  const revertedAt = advanceSeconds(sim, 1)
  await sim.revert(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), revertedAt - 2_000_000_000n))
  advanceSeconds(sim, 1)
  t.equal(sim.image(DEMO.cdp1, revertedAt).digest, empty)
  const use = (await sim.info(ref(DEMO.cdp1))).cdp_info.reduce((sum, s) => sum + s.use, 0n)
  t.equal(use, 2n * 4096n, 'the write and its revert')
})

t.test('revert with CDP off restores the blocks written since the disable, and only what differs is written', async (t) => {
  const sim = await openCdp1(t)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4 * BLOCK_SIZE, fill: 1 }])
  const at = writeBlock(sim, DEMO.cdp1, 3, 2)
  const then = sim.image(DEMO.cdp1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 3)
  await sim.disable([ref(DEMO.cdp1)])
  writeBlock(sim, DEMO.cdp1, 1, 4)
  writeBlock(sim, DEMO.cdp1, 9, 5)
  await sim.revert(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
  t.equal(sim.image(DEMO.cdp1).digest, then, 'the journaled change and the two made while off are undone')
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  const [, segment] = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.equal(segment?.use, BigInt(BLOCK_SIZE), 'the enable journals the one block whose content the journal lacks (block 0)')
  t.equal(sim.image(DEMO.cdp1, sim.clock().now).digest, then)
})

t.test('a revert is an event of the volume with the point it went back to and that point\'s segment', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  await sim.revert(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
  const revertedAt = sim.clock().now
  const seq = (await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.seq
  t.same((await eventsOfKind(sim, DEMO.cdp1, 'reverted')).map(({ id: _, ...e }) => e), [{ time: revertedAt, kind: 'reverted', seq, to: at }])
})
