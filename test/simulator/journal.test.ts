// The journal: segments, and what enable, disable and a full segment do.
import { join } from 'node:path'
import t from 'tap'
import { DEFAULTS } from '../../simulator/index.js'
import { advanceSeconds, eventsOfKind, failure, openDemo, policy, ref, writeBlock, openCdp1 } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'
import { blocksChangedSince } from '../../simulator/journal.js'
import { openDatabase } from '../../simulator/schema.js'
import { sqlOver } from '../../simulator/sql.js'

t.test('enable opens segment seq 0 with an auto snapshot CDP-auto-<unix seconds> at the enable time', async (t) => {
  const sim = openDemo(t)
  const enabledAt = sim.advance(123_456_789n)
  await sim.enable([ref(DEMO.cdp1)])
  const { cdp_info: segments } = await sim.info(ref(DEMO.cdp1))
  t.equal(segments.length, 1)
  const [segment] = segments
  t.match(segment, { seq: 0n, startTime: enabledAt, use: 0n, online: true, usd_maddr: '10.30.12.237', usd_path: '/dev/sdd' })
  t.same(segment?.snaps, [{ name: `CDP-auto-${enabledAt / NS_PER_SECOND}`, time: enabledAt }])
  t.equal(String(segment?.snaps[0]?.time).slice(0, 10), segment?.snaps[0]?.name.slice('CDP-auto-'.length),
    'the snapshot time\'s seconds prefix is the name\'s')
  t.same(sim.recoverable(DEMO.cdp1).ranges, [{ from: enabledAt, to: enabledAt, seq: 0n }])
})

t.test('a journaled write counts its blocks in the segment\'s use and io times', async (t) => {
  const sim = await openCdp1(t)
  const first = sim.write(DEMO.cdp1, [{ offset: 0, length: 3 * BLOCK_SIZE, fill: 7 }]).time
  advanceSeconds(sim, 1)
  const last = writeBlock(sim, DEMO.cdp1, 9, 8)
  const [segment] = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.match(segment, { use: BigInt(4 * BLOCK_SIZE), ioStartTime: first, ioLastTime: last })
})

t.test('disable closes the active segment: the journal stops and its range ends there', async (t) => {
  const sim = openDemo(t)
  const enabledAt = sim.clock().now
  await sim.enable([ref(DEMO.cdp1)])
  const disabledAt = advanceSeconds(sim, 5)
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 5)
  writeBlock(sim, DEMO.cdp1, 0, 1)
  const [segment] = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.match(segment, { seq: 0n, use: 0n }, 'writes while off are not journaled')
  t.same(sim.recoverable(DEMO.cdp1).ranges, [{ from: enabledAt, to: disabledAt, seq: 0n }])
  t.same(await sim.clean(ref(DEMO.cdp1), 0n), undefined, 'a closed segment may be cleaned')
})

t.test('enable again opens the next seq and journals what changed while off', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 2)
  writeBlock(sim, DEMO.cdp1, 3, 4)
  const enabledAt = advanceSeconds(sim, 2)
  await sim.enable([ref(DEMO.cdp1)])
  const segments = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segments.map((s) => s.seq), [0n, 1n])
  t.match(segments[1], { use: BigInt(BLOCK_SIZE), startTime: enabledAt, ioStartTime: enabledAt })
  t.equal(sim.image(DEMO.cdp1, enabledAt).digest, sim.image(DEMO.cdp1).digest, 'the new segment starts from the live image')
})

t.test('a full segment closes and the next seq opens on a disk with room', async (t) => {
  const sim = await openCdp1(t, { segmentCapacity: 2n * BigInt(BLOCK_SIZE) })
  const at = sim.write(DEMO.cdp1, [{ offset: 0, length: 3 * BLOCK_SIZE, fill: 5 }]).time
  const segments = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segments.map((s) => [s.seq, s.use, s.capacity]), [[0n, 8192n, 8192n], [1n, 4096n, 8192n]])
  t.match(segments[1], { startTime: at, usd_maddr: '10.30.12.237' })
  t.equal(await failure(() => sim.clean(ref(DEMO.cdp1), 1n)), 'SEGMENT_ACTIVE', 'the new segment is the active one')
  t.equal(await failure(() => sim.clean(ref(DEMO.cdp1), 0n)), 'no error', 'the full one is closed')
})

t.test('the segment capacity never exceeds the volume\'s reserve_capacity', async (t) => {
  const sim = openDemo(t)
  await sim.edit({ cdp_priority: 'mid', reserve_capacity: 3n * BigInt(BLOCK_SIZE), reserve_duration: 3600n }, [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const [segment] = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.equal(segment?.capacity, 3n * BigInt(BLOCK_SIZE))
  t.ok(DEFAULTS.segmentCapacity > (segment?.capacity ?? 0n), 'below the simulator\'s segment size')
})

t.test('seqs go up by one for each segment opened, whether by enable or by a full segment', async (t) => {
  const sim = await openCdp1(t, { segmentCapacity: BigInt(BLOCK_SIZE) })
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 1 }])
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [0n, 1n, 2n])
})

t.test('a removed segment\'s seq is never reused: not after a clean, not after retention folds it away', async (t) => {
  const sim = openDemo(t, { segmentCapacity: BigInt(BLOCK_SIZE) })
  await sim.edit(policy(1024n ** 3n, 10n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 1 }])
  await sim.disable([ref(DEMO.cdp1)])
  await sim.clean(ref(DEMO.cdp1), 1n)
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [0n, 2n], 'seq 1 was cleaned; the next one opened is 2')
  advanceSeconds(sim, 60)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [2n], 'retention folded seq 0 away')
  sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 2 }])
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [2n, 3n], 'the next one opened is 3')
})

t.test('a new CDP after a clean of the whole CDP starts again at seq 0: it is a new journal, and the old seqs name nothing', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  await sim.disable([ref(DEMO.cdp1)])
  await sim.clean(ref(DEMO.cdp1))
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [0n])
})

t.test('enable journals the blocks whose journal end a clean of the newest segment moved back', async (t) => {
  const sim = await openCdp1(t)
  writeBlock(sim, DEMO.cdp1, 5, 1)
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 5, 2)
  await sim.disable([ref(DEMO.cdp1)])
  await sim.clean(ref(DEMO.cdp1), 1n)
  const enabledAt = advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  t.equal(sim.image(DEMO.cdp1, enabledAt).digest, sim.image(DEMO.cdp1).digest, 'the new segment starts from the live image')
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => [s.seq, s.use]), [[0n, BigInt(BLOCK_SIZE)], [2n, BigInt(BLOCK_SIZE)]])
})

t.test('the first enable journals what the volume held before it had CDP: its first point is the live image', async (t) => {
  const sim = openDemo(t)
  sim.write(DEMO.cdp1, [{ offset: BLOCK_SIZE, length: 2 * BLOCK_SIZE, fill: 3 }])
  const enabledAt = advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const expected = Buffer.concat([Buffer.alloc(BLOCK_SIZE), Buffer.alloc(2 * BLOCK_SIZE, 3)])
  t.same(sim.readImage(DEMO.cdp1, 0, 3 * BLOCK_SIZE, enabledAt), expected)
  t.match((await sim.info(ref(DEMO.cdp1))).cdp_info, [{ seq: 0n, use: 2n * BigInt(BLOCK_SIZE), ioStartTime: enabledAt }], 'the two blocks are journaled at the enable')
})

t.test('a write to a volume without CDP changes its content only', async (t) => {
  const sim = openDemo(t)
  writeBlock(sim, DEMO.cdp1, 2, 8)
  t.same(sim.readImage(DEMO.cdp1, 2 * BLOCK_SIZE, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 8))
  t.equal(await failure(() => sim.info(ref(DEMO.cdp1))), 'CDP_NOT_FOUND', 'no CDP came of it')
})

t.test('enable, a full segment and disable are events of the volume, each naming the segment it opened or closed', async (t) => {
  const sim = openDemo(t, { segmentCapacity: BigInt(BLOCK_SIZE) })
  const enabledAt = sim.clock().now
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const rolledAt = sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 1 }]).time
  const disabledAt = advanceSeconds(sim, 1)
  await sim.disable([ref(DEMO.cdp1)])
  const events = await eventsOfKind(sim, DEMO.cdp1, 'enabled', 'segment_opened', 'segment_closed', 'disabled')
  t.same(events.map((e) => [e.kind, e.seq, e.time]), [
    ['enabled', undefined, enabledAt],
    ['segment_opened', 0n, enabledAt],
    ['segment_closed', 0n, rolledAt],
    ['segment_opened', 1n, rolledAt],
    ['segment_closed', 1n, disabledAt],
    ['disabled', undefined, disabledAt]
  ])
})

t.test('a write that finds the segment already full closes it with the io times of its own rows', async (t) => {
  const sim = await openCdp1(t, { segmentCapacity: 2n * BigInt(BLOCK_SIZE) })
  const filled = sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 1 }]).time
  advanceSeconds(sim, 1)
  const next = writeBlock(sim, DEMO.cdp1, 5, 2)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => [s.seq, s.use / BigInt(BLOCK_SIZE), s.ioStartTime, s.ioLastTime]), [
    [0n, 2n, filled, filled],
    [1n, 1n, next, next]
  ])
})

t.test('a segment smaller than a block still takes one: a write into an empty segment never closes it', async (t) => {
  const sim = await openCdp1(t, { segmentCapacity: BigInt(BLOCK_SIZE) / 2n })
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => [s.seq, s.use / BigInt(BLOCK_SIZE), s.ioStartTime]), [[0n, 1n, at]])
})

t.test('journal use past reserve_capacity is trimmed in the write that passes it', async (t) => {
  const sim = openDemo(t, { segmentCapacity: 2n * BigInt(BLOCK_SIZE) })
  await sim.edit(policy(3n * BigInt(BLOCK_SIZE), 3600n), [ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  for (let block = 0; block < 3; block++) {
    advanceSeconds(sim, 1)
    writeBlock(sim, DEMO.cdp1, block, 1)
  }
  t.same(await eventsOfKind(sim, DEMO.cdp1, 'trimmed_by_capacity'), [], 'three blocks fit')
  advanceSeconds(sim, 1)
  const passing = writeBlock(sim, DEMO.cdp1, 3, 1)
  // Read nothing in the write's ns: a read there would catch the volume up at that same ns.
  advanceSeconds(sim, 1)
  t.same((await eventsOfKind(sim, DEMO.cdp1, 'trimmed_by_capacity')).map((e) => e.time), [passing])
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [1n], 'the write went into seq 1, which was not full; seq 0 was folded away')
})

t.test('a segment opened by a full one has its first snapshot at its start, even when the next write closes it in the next ns', async (t) => {
  const sim = await openCdp1(t, { segmentCapacity: BigInt(BLOCK_SIZE) })
  const first = sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * BLOCK_SIZE, fill: 1 }]).time
  const second = writeBlock(sim, DEMO.cdp1, 2, 2)
  t.ok(second > first)
  const segments = (await sim.info(ref(DEMO.cdp1))).cdp_info
  t.same(segments.slice(1).map((s) => [s.seq, s.snaps.map((snap) => snap.time)]), [[1n, [first]], [2n, [second]]])
})

t.test('the blocks changed since a time: those journaled after it and those written while off, each once, in block order', async (t) => {
  const db = join(t.testdir({}), 'journal.db')
  const sim = await openCdp1(t, { db })
  const since = writeBlock(sim, DEMO.cdp1, 9, 1)
  for (const block of [7, 2, 7, 5]) {
    advanceSeconds(sim, 1)
    writeBlock(sim, DEMO.cdp1, block, block)
  }
  await sim.disable([ref(DEMO.cdp1)])
  for (const block of [4, 0]) writeBlock(sim, DEMO.cdp1, block, 3)
  // Read through a connection of its own: the order is the function's, not the journal's.
  const connection = openDatabase(db)
  t.teardown(() => connection.close())
  const sql = sqlOver(connection)
  const volume = sql.get<{ id: bigint }>('SELECT id FROM volume WHERE uuid = ?', DEMO.cdp1)
  t.ok(volume !== undefined)
  t.same(blocksChangedSince(sql, volume?.id ?? 0n, since), [0, 2, 4, 5, 7], 'block 9, written at the time itself, is not after it')
})

t.test('each block records when its live content went into the journal: at a recording write, at the enable that journals it, and never while the journal may not hold it', async (t) => {
  const db = join(t.testdir({}), 'journaled.db')
  const sim = openDemo(t, { db })
  // Read through a connection of its own: NULL is "the journal may not hold it".
  const connection = openDatabase(db)
  t.teardown(() => connection.close())
  const sql = sqlOver(connection)
  const volume = sql.get<{ id: bigint }>('SELECT id FROM volume WHERE uuid = ?', DEMO.cdp1)?.id ?? 0n
  const journaledAt = (): Array<[number, bigint | null]> => (sql.prepare('SELECT block, journaled_at AS at FROM live_block WHERE volume_id = ? ORDER BY block')
    .safeIntegers(true).all(volume) as Array<{ block: bigint, at: bigint | null }>).map((r) => [Number(r.block), r.at])

  const before = writeBlock(sim, DEMO.cdp1, 1, 1)
  t.same(journaledAt(), [[1, null]], 'written before CDP: not journaled')
  const enabled = advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  t.ok(before < enabled)
  t.same(journaledAt(), [[1, enabled]], 'the first enable journals it')
  const written = advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 2, 2)
  t.same(journaledAt(), [[1, enabled], [2, written]], 'a recording write journals its block at its time')
  const disabled = advanceSeconds(sim, 1)
  await sim.disable([ref(DEMO.cdp1)])
  writeBlock(sim, DEMO.cdp1, 3, 3)
  writeBlock(sim, DEMO.cdp1, 2, 4)
  t.same(journaledAt(), [[1, enabled], [2, null], [3, null]], 'written while off: not journaled')
  const again = advanceSeconds(sim, 1)
  t.ok(disabled < again)
  await sim.enable([ref(DEMO.cdp1)])
  t.same(journaledAt(), [[1, enabled], [2, again], [3, again]], 'the next enable journals what changed while off')
})

t.test('on a real clock, the segment a write opens is recoverable from that write on, also for a reader that takes no catch-up (the metrics window)', async (t) => {
  const sim = openDemo(t, { clock: { mode: 'real' }, segmentCapacity: BigInt(BLOCK_SIZE) })
  await sim.enable([ref(DEMO.cdp1)])
  const enabled = (await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.snaps[0]?.time as bigint
  writeBlock(sim, DEMO.cdp1, 0, 1)
  writeBlock(sim, DEMO.cdp1, 1, 2)
  await new Promise((resolve) => setTimeout(resolve, 100))
  const before = sim.clock().now
  const [stat] = sim.journalStats().filter((s) => s.volume_uuid === DEMO.cdp1)
  // Both segments' ranges, end to end: from the enable's snapshot to now, less the one ns they share.
  t.ok((stat?.window_seconds ?? 0) * 1e9 >= Number(before - enabled) - 1e3, `window ${stat?.window_seconds} s covers the ${Number(before - enabled) / 1e9} s since the enable`)
})
