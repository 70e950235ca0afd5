// Points in time: images at recoverable times, views (read-only images on a host) and
// reverts (the volume rolled back in place, journaled as writes).
import t from 'tap'
import {
  CDP_1, HOST_237, KEN_VM, KEN_VM_VOLUME, LIN_DATA, LIN_VM_VOLUME, advanceSeconds, failure, openDemo, pointAt, ref, writeBlock
} from '../helpers/simulator.js'

t.test('the image at a time is per block the newest write at or before it', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  advanceSeconds(sim, 1)
  const first = writeBlock(sim, CDP_1, 0, 1)
  const atFirst = sim.image(CDP_1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, CDP_1, 0, 2)
  t.equal(sim.image(CDP_1, first).digest, atFirst)
  t.equal(sim.image(CDP_1, first + 999_999_999n).digest, atFirst, 'until the next write')
  t.not(sim.image(CDP_1).digest, atFirst)
})

t.test('a time after now, or before the journal, is not recoverable', async (t) => {
  const sim = openDemo(t)
  const start = sim.clock().now
  await sim.enable([ref(CDP_1)])
  t.equal(await failure(() => sim.image(CDP_1, start - 1n)), 'POINT_NOT_RECOVERABLE')
  t.equal(await failure(() => sim.image(CDP_1, start + 1n)), 'POINT_NOT_RECOVERABLE')
})

t.test('view on exposes the image at its point on the segment\'s host', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, CDP_1, 0, 1)
  const then = sim.image(CDP_1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, CDP_1, 0, 2)
  const { host_uuid: host } = await sim.viewOn(ref(CDP_1), await pointAt(sim, ref(CDP_1), at))
  t.equal(host, HOST_237, 'CDP-1\'s journal is on 10.30.12.237')
  t.same(sim.viewImage(CDP_1), { digest: then, time: at })
  t.equal((await sim.info(ref(CDP_1))).host_uuid, HOST_237, 'info names the view\'s host')
})

t.test('a view keeps its image while the volume goes on being written', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, CDP_1, 0, 1)
  await sim.viewOn(ref(CDP_1), await pointAt(sim, ref(CDP_1), at))
  const exposed = sim.viewImage(CDP_1).digest
  advanceSeconds(sim, 1)
  writeBlock(sim, CDP_1, 0, 2)
  t.equal(sim.viewImage(CDP_1).digest, exposed)
})

t.test('one view per volume: a second view on is VIEW_ALREADY_ON', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  const point = await pointAt(sim, ref(CDP_1), sim.clock().now)
  await sim.viewOn(ref(CDP_1), point)
  t.equal(await failure(() => sim.viewOn(ref(CDP_1), point)), 'VIEW_ALREADY_ON')
})

t.test('view off removes the view; without one it is VIEW_NOT_FOUND', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  await sim.viewOn(ref(CDP_1), await pointAt(sim, ref(CDP_1), sim.clock().now))
  await sim.viewOff(ref(CDP_1))
  t.equal((await sim.info(ref(CDP_1))).host_uuid, '')
  t.equal(await failure(() => sim.viewImage(CDP_1)), 'VIEW_NOT_FOUND')
  t.equal(await failure(() => sim.viewOff(ref(CDP_1))), 'VIEW_NOT_FOUND')
})

t.test('a point must name an existing snapshot that is its base', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.enable([ref(CDP_1)])
  advanceSeconds(sim, 15)
  const { snaps } = (await sim.info(ref(CDP_1))).cdp_info[0] ?? { snaps: [] }
  const [first, second] = snaps
  t.equal(await failure(() => sim.viewOn(ref(CDP_1), { snapshot_name: 'CDP-auto-1', timestamp: sim.clock().now })), 'SNAPSHOT_NOT_FOUND')
  t.equal(await failure(() => sim.viewOn(ref(CDP_1), { snapshot_name: second?.name ?? '', timestamp: (first?.time ?? 0n) + 1n })),
    'SNAPSHOT_NOT_BASE', 'a snapshot after the time is not its base')
  t.equal(await failure(() => sim.viewOn(ref(CDP_1), { snapshot_name: first?.name ?? '', timestamp: sim.clock().now + 1n })),
    'POINT_NOT_RECOVERABLE', 'a time after now')
  t.equal(await failure(() => sim.viewOn(ref(CDP_1), { snapshot_name: first?.name ?? '', timestamp: sim.clock().now })),
    'no error', 'an older snapshot of the same segment is a base too')
})

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

t.test('a point in a closed segment\'s CDP-off gap is refused against that segment\'s snapshot', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(CDP_1)])
  const [{ snaps: [first] = [] } = { snaps: [] }] = (await sim.info(ref(CDP_1))).cdp_info
  advanceSeconds(sim, 1)
  writeBlock(sim, CDP_1, 0, 1)
  advanceSeconds(sim, 1)
  await sim.disable([ref(CDP_1)])
  const closedAt = sim.clock().now
  advanceSeconds(sim, 10)
  const snapshot = first?.name ?? ''
  for (const timestamp of [closedAt + 1n, closedAt + 5_000_000_000n]) {
    t.equal(await failure(() => sim.viewOn(ref(CDP_1), { snapshot_name: snapshot, timestamp })), 'SNAPSHOT_NOT_BASE', `view at ${timestamp}`)
    t.equal(await failure(() => sim.revert(ref(CDP_1), { snapshot_name: snapshot, timestamp })), 'SNAPSHOT_NOT_BASE', `revert at ${timestamp}`)
    t.equal(await failure(() => sim.image(CDP_1, timestamp)), 'POINT_NOT_RECOVERABLE', `image at ${timestamp}`)
  }
  t.equal(await failure(() => sim.viewOn(ref(CDP_1), { snapshot_name: snapshot, timestamp: closedAt })), 'no error', 'the segment\'s last ns is a point')
})
