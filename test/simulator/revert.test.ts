// Reverts: the volume rolled back in place, journaled as writes.
import t from 'tap'
import {
  CDP_1, KEN_VM, KEN_VM_VOLUME, KIB4, LIN_DATA, LIN_VM_VOLUME, advanceSeconds, failure, openDemo, pointAt, ref, writeBlock
} from '../helpers/simulator.js'

t.test('revert is refused while the volume\'s VM is running', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(KEN_VM_VOLUME)])
  const point = await pointAt(sim, ref(KEN_VM_VOLUME), sim.clock().now)
  advanceSeconds(sim, 1)
  writeBlock(sim, KEN_VM_VOLUME, 0, 1)
  const before = sim.image(KEN_VM_VOLUME).digest
  t.equal(await failure(() => sim.revert(ref(KEN_VM_VOLUME), point)), 'VOLUME_IN_USE')
  t.equal(sim.image(KEN_VM_VOLUME).digest, before, 'nothing changed')
  sim.setVmRunning(KEN_VM, false)
  t.equal(await failure(() => sim.revert(ref(KEN_VM_VOLUME), point)), 'no error', 'a stopped VM\'s volume may be reverted')
})

t.test('a volume whose VM is stopped may be reverted', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(LIN_VM_VOLUME)])
  const point = await pointAt(sim, ref(LIN_VM_VOLUME), sim.clock().now)
  t.equal(await failure(() => sim.revert(ref(LIN_VM_VOLUME), point)), 'no error')
})

t.test('revert is refused while a view is on', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  const point = await pointAt(sim, ref(CDP_1), sim.clock().now)
  await sim.viewOn(ref(CDP_1), point)
  advanceSeconds(sim, 1)
  writeBlock(sim, CDP_1, 0, 1)
  const before = sim.image(CDP_1).digest
  t.equal(await failure(() => sim.revert(ref(CDP_1), point)), 'VIEW_IS_ON')
  t.equal(sim.image(CDP_1).digest, before, 'nothing changed')
})

t.test('revert makes the image at its point live, and a later revert to before it restores', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(LIN_DATA)])
  advanceSeconds(sim, 1)
  const early = sim.write(LIN_DATA, [{ offset: 0, length: 2 * 4096, fill: 1 }]).time
  const earlyImage = sim.image(LIN_DATA).digest
  advanceSeconds(sim, 1)
  sim.write(LIN_DATA, [{ offset: 4096, length: 2 * 4096, fill: 2 }, { offset: 5 * 4096, data: new Uint8Array(4096).map((_, i) => i) }])
  const late = advanceSeconds(sim, 1)
  const lateImage = sim.image(LIN_DATA).digest
  advanceSeconds(sim, 1)
  await sim.revert(ref(LIN_DATA), await pointAt(sim, ref(LIN_DATA), early))
  t.equal(sim.image(LIN_DATA).digest, earlyImage, 'the live image is the image at the point')
  advanceSeconds(sim, 1)
  await sim.revert(ref(LIN_DATA), await pointAt(sim, ref(LIN_DATA), late))
  t.equal(sim.image(LIN_DATA).digest, lateImage, 'the revert is undone')
})

t.test('a revert is journaled: the time it happened is itself a point', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  const empty = sim.image(CDP_1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, CDP_1, 0, 1)
  const revertedAt = advanceSeconds(sim, 1)
  await sim.revert(ref(CDP_1), await pointAt(sim, ref(CDP_1), revertedAt - 2_000_000_000n))
  advanceSeconds(sim, 1)
  t.equal(sim.image(CDP_1, revertedAt).digest, empty)
  const use = (await sim.info(ref(CDP_1))).cdp_info.reduce((sum, s) => sum + s.use, 0n)
  t.equal(use, 2n * 4096n, 'the write and its revert')
})

t.test('revert with CDP off restores the blocks written since the disable, and only what differs is written', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  advanceSeconds(sim, 1)
  sim.write(CDP_1, [{ offset: 0, length: 4 * KIB4, fill: 1 }])
  const at = writeBlock(sim, CDP_1, 3, 2)
  const then = sim.image(CDP_1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, CDP_1, 0, 3)
  await sim.disable([ref(CDP_1)])
  writeBlock(sim, CDP_1, 1, 4)
  writeBlock(sim, CDP_1, 9, 5)
  await sim.revert(ref(CDP_1), await pointAt(sim, ref(CDP_1), at))
  t.equal(sim.image(CDP_1).digest, then, 'the journaled change and the two made while off are undone')
  advanceSeconds(sim, 1)
  await sim.enable([ref(CDP_1)])
  const [, segment] = (await sim.info(ref(CDP_1))).cdp_info
  t.equal(segment?.use, BigInt(KIB4), 'the enable journals the one block whose content the journal lacks (block 0)')
  t.equal(sim.image(CDP_1, sim.clock().now).digest, then)
})
