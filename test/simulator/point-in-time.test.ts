// Points in time: images at recoverable times, and which (snapshot, timestamp) pairs name one.
import t from 'tap'
import { advanceSeconds, failure, openDemo, ref, writeBlock } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'

t.test('the image at a time is per block the newest write at or before it', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
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
