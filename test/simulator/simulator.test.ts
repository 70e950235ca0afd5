// The simulator's class (simulator/simulator.ts), the seam that composes the rules: each call
// of CdpBackend and SimulatorControl on one in-memory simulator, checking what the class adds
// itself: the options it is opened with (clock start, snapshot interval, served namespaces),
// a batch's per-volume outcomes, a call that is a no-op on a volume already in that state,
// the view listeners, the group calls' one ns, the write path's kept targets across a reset
// and a load, the change count, and the refusals for unknown hosts, VMs and volumes.
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { type CdpPolicy, NS_PER_SECOND } from '../../src/backend/port.js'
import { isCdpError } from '../../src/errors.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { type Simulator, loadTopology, openSimulator } from '../../simulator/index.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { freeBytes, mountSmallDisk, SMALL_DISK_SKIP } from '../helpers/small-disk.js'
import { DEMO, demoTopology } from '../helpers/demo.js'
import { GROUP } from '../helpers/group.js'
import { advanceSeconds, eventsOfKind, failure, openCdp1, openDemo, outcomes, pointAt, policy, ref, writeBlock } from '../helpers/simulator.js'

const SPEC_START = 1630053321n * NS_PER_SECOND
const MISSING = '00000000-0000-4000-8000-0000000000dd'
const groupTopology = loadTopology(GROUP.topology)

const kinds = async (sim: Simulator, uuid: string): Promise<string[]> =>
  (await sim.events(ref(uuid), { page_num: 0, page_size: 0 })).events.map((e) => e.kind)

t.test('a manual clock starts at the spec\'s example time unless given a start; a real one reads the wall clock', async (t) => {
  t.same(openDemo(t).clock(), { now: SPEC_START, mode: 'manual' })
  t.same(openDemo(t, { clock: { mode: 'manual', start: 42n } }).clock(), { now: 42n, mode: 'manual' })
  const real = openDemo(t, { clock: { mode: 'real' } }).clock()
  t.equal(real.mode, 'real')
  const wall = BigInt(Date.now()) * 1_000_000n
  t.ok(real.now > wall - 60n * NS_PER_SECOND && real.now <= wall + NS_PER_SECOND, 'near the wall clock')
})

t.test('the snapshot interval must be a whole number of seconds ≥ 1; auto snapshots come at it (600 s by default)', async (t) => {
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => openSimulator({ db: ':memory:', topology: demoTopology, clock: { mode: 'manual' }, snapshotIntervalSeconds: bad }), /snapshotIntervalSeconds must be a whole number ≥ 1/, String(bad))
  }
  const one = await openCdp1(t, { snapshotIntervalSeconds: 1 })
  advanceSeconds(one, 3)
  t.equal((await eventsOfKind(one, DEMO.cdp1, 'auto_snapshot')).length, 5, 'one a second: at the enable and at 1, 2, 3 and 4 s')
  const byDefault = await openCdp1(t)
  advanceSeconds(byDefault, 598)
  const before = (await eventsOfKind(byDefault, DEMO.cdp1, 'auto_snapshot')).length
  advanceSeconds(byDefault, 1)
  t.equal((await eventsOfKind(byDefault, DEMO.cdp1, 'auto_snapshot')).length, before + 1, 'the next at 600 s')
})

t.test('served namespaces (any letter case) limit the list and the volume calls; unserved volumes are VOLUME_NOT_FOUND', async (t) => {
  const sim = openDemo(t, { namespaces: [DEMO.namespace.toUpperCase()] })
  const all = demoTopology.volumes.map((v) => ref(v.uuid))
  const served = new Set(demoTopology.volumes.filter((v) => v.namespace === DEMO.namespace).map((v) => v.uuid))
  t.ok(served.size > 0 && served.size < all.length)
  const result = await sim.enable(all)
  t.same(outcomes(result), all.map((r) => served.has(r.volume_uuid) ? 'ok' : 'VOLUME_NOT_FOUND'))
  const everything = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.same(everything.List.map((i) => i.volume_uuid).sort(), [...served].sort(), 'the list shows the served namespaces only')
  const other = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0, namespaces: [DEMO.linNamespace] })
  t.same(other.List, [], 'asking for an unserved namespace finds nothing')
  const same = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0, namespaces: [DEMO.namespace.toUpperCase()] })
  t.equal(same.List.length, served.size, 'asking for a served one in upper case finds it')
  const unserved = all.find((r) => !served.has(r.volume_uuid))
  if (unserved === undefined) throw new Error('no unserved volume')
  t.equal(await failure(() => sim.info(unserved)), 'VOLUME_NOT_FOUND')
  t.equal(await failure(() => sim.events(unserved, { page_num: 0, page_size: 0 })), 'VOLUME_NOT_FOUND')
  const open = openDemo(t)
  t.same(outcomes(await open.enable(all)), all.map(() => 'ok'), 'without namespaces: every volume')
})

t.test('on a database shared with another simulator, served namespaces still limit the list to their CDP volumes', async (t) => {
  const db = join(tempDir(t, 'cdp-served-'), 'shared.db')
  const whole = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' } })
  t.teardown(() => whole.close())
  const all = demoTopology.volumes.map((v) => ref(v.uuid))
  t.same(outcomes(await whole.enable(all)), all.map(() => 'ok'), 'every volume has CDP')
  const part = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' }, namespaces: [DEMO.namespace.toUpperCase()] })
  t.teardown(() => part.close())
  const served = demoTopology.volumes.filter((v) => v.namespace === DEMO.namespace).map((v) => v.uuid).sort()
  const uuids = async (namespaces?: string[]): Promise<string[]> =>
    (await part.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0, ...(namespaces === undefined ? {} : { namespaces }) })).List.map((i) => i.volume_uuid).sort()
  t.same(await uuids(), served, 'no namespaces asked: the served ones')
  t.same(await uuids([DEMO.linNamespace]), [], 'an unserved namespace asked: nothing')
  t.same(await uuids([DEMO.linNamespace, DEMO.namespace]), served, 'both asked: the served one only')
})

t.test('after a full disk, ready is BACKEND_UNAVAILABLE until 1 MiB is free again; before one, a nearly full disk is ready', { skip: SMALL_DISK_SKIP }, async (t) => {
  const disk = mountSmallDisk(t, '4m')
  const sim = openSimulator({ db: join(disk, 'sim.db'), topology: demoTopology, clock: { mode: 'manual' } })
  t.teardown(() => sim.close())
  await sim.enable([ref(DEMO.vol1)])
  const spare = join(disk, 'spare')
  writeFileSync(spare, Buffer.alloc(512 * 1024))
  const filler = join(disk, 'filler')
  writeFileSync(filler, Buffer.alloc(freeBytes(disk) - 256 * 1024))
  t.ok(freeBytes(disk) < 1024 * 1024)
  await sim.ready()
  t.pass('nothing was refused yet: ready, on a disk with under 1 MiB free')
  let refused = 'no error'
  for (let i = 0; i < 64 && refused === 'no error'; i++) {
    refused = await failure(() => sim.write(DEMO.vol1, [{ offset: i * 1024 * 1024, length: 1024 * 1024, fill: (i % 255) + 1 }]))
  }
  t.equal(refused, 'STORAGE_FULL')
  await t.rejects(sim.ready(), { code: 'BACKEND_UNAVAILABLE', desc: /^storage full: / })
  rmSync(spare)
  const free = freeBytes(disk)
  t.ok(free >= 512 * 1024 && free < 1024 * 1024, `${free} bytes free`)
  await t.rejects(sim.ready(), { code: 'BACKEND_UNAVAILABLE' }, 'under 1 MiB free: still full')
  rmSync(filler)
  const exact = join(disk, 'exact')
  writeFileSync(exact, Buffer.alloc(freeBytes(disk) - 1024 * 1024))
  t.equal(freeBytes(disk), 1024 * 1024)
  await sim.ready()
  t.pass('exactly 1 MiB free again: ready')
  writeFileSync(filler, Buffer.alloc(freeBytes(disk) - 256 * 1024))
  t.ok(freeBytes(disk) < 1024 * 1024)
  await sim.ready()
  t.pass('once ready again, a disk others filled is ready until a write is refused again')
})

t.test('a batch reports each volume on its own: an unknown one by the ref it came as, the others done', async (t) => {
  const sim = openDemo(t)
  const result = await sim.enable([ref(DEMO.cdp1), ref(MISSING), ref(DEMO.vol1)])
  t.same(outcomes(result), ['ok', 'VOLUME_NOT_FOUND', 'ok'])
  t.same(result.map((r) => r.volume.volume_uuid), [DEMO.cdp1, MISSING, DEMO.vol1])
  t.equal(result[0]?.volume.volume_name, 'cdp-1', 'a found volume is named as the topology names it')
  const off = await sim.disable([ref(DEMO.kenVolume), ref(DEMO.cdp1)])
  t.same(outcomes(off), ['CDP_NOT_FOUND', 'ok'], 'a refusal in one volume undoes only its own work')
  t.equal(off[0]?.volume.volume_name, 'ken-vm-1-volume1-0', 'a found volume\'s refusal names it')
  t.equal(result[1]?.volume.volume_name ?? '', '', 'the unknown volume has no name')
})

t.test('a failure that is no refusal fails the whole batch and undoes it: it is not one volume\'s outcome', async (t) => {
  const sim = openDemo(t)
  // A policy no validation would let through (the HTTP layer checks each field): not a refusal but a fault.
  const broken = { cdp_priority: 'mid', reserve_capacity: undefined, reserve_duration: 3600n } as unknown as CdpPolicy
  const thrown = await sim.edit(broken, [ref(DEMO.vol1), ref(DEMO.cdp1)]).then(() => undefined, (err: unknown) => err)
  t.ok(thrown instanceof Error && !isCdpError(thrown), `the call failed with the fault itself (${String(thrown)})`)
  t.same((await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List, [], 'no volume got CDP')
})

t.test('edit creates CDP (off) on a volume without it and changes the policy of one with it', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.edit(policy(8n * 1024n ** 3n, 3600n), [ref(DEMO.vol1)])), ['ok'])
  const list = async () => (await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List.find((i) => i.volume_uuid === DEMO.vol1)
  t.match(await list(), { cdp_state: 'off', reserve_duration: 3600n, reserve_capacity: 8n * 1024n ** 3n })
  t.same(await kinds(sim, DEMO.vol1), [], 'creating it is no event')
  t.same(outcomes(await sim.edit(policy(8n * 1024n ** 3n, 7200n, 'high'), [ref(DEMO.vol1)])), ['ok'])
  t.match(await list(), { cdp_state: 'off', reserve_duration: 7200n, cdp_priority: 'high' })
  t.same(await kinds(sim, DEMO.vol1), ['policy_changed'])
})

t.test('enable on CDP that is on, and disable on CDP that is off, change nothing', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const count = sim.changeCount()
  t.same(outcomes(await sim.enable([ref(DEMO.cdp1)])), ['ok'])
  t.equal(sim.changeCount(), count, 'a second enable changed no row')
  await sim.disable([ref(DEMO.cdp1)])
  const off = sim.changeCount()
  t.same(outcomes(await sim.disable([ref(DEMO.cdp1)])), ['ok'])
  t.equal(sim.changeCount(), off, 'a second disable changed no row')
  t.same(await kinds(sim, DEMO.cdp1), ['enabled', 'segment_opened', 'auto_snapshot', 'segment_closed', 'disabled'], 'one enable and one disable')
  t.same(outcomes(await sim.disable([ref(DEMO.vol1)])), ['CDP_NOT_FOUND'], 'disable on a volume without CDP')
})

t.test('enable on a volume without CDP gives it the default policy', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.vol1)])
  const item = (await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List.find((i) => i.volume_uuid === DEMO.vol1)
  t.match(item, { cdp_state: 'on', cdp_priority: 'mid', reserve_capacity: 10n * 1024n ** 3n, reserve_duration: 86400n })
})

t.test('the view listeners hear each view going on and off, by lower-case uuid; a group revert is not heard', async (t) => {
  const sim = openSimulator({ db: ':memory:', topology: groupTopology, clock: { mode: 'manual' } })
  t.teardown(() => sim.close())
  const heard: Array<[string, boolean]> = []
  sim.onViewChange((uuid, on) => heard.push([uuid, on]))
  sim.onViewChange((uuid, on) => heard.push([`second ${uuid}`, on]))
  await sim.enable([ref(GROUP.data), ref(GROUP.log), ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  advanceSeconds(sim, 1)
  await sim.viewOn(ref(DEMO.cdp1.toUpperCase()), await pointAt(sim, ref(DEMO.cdp1), at))
  await sim.viewOff(ref(DEMO.cdp1))
  t.same(heard, [[DEMO.cdp1, true], [`second ${DEMO.cdp1}`, true], [DEMO.cdp1, false], [`second ${DEMO.cdp1}`, false]])
  heard.length = 0
  const point = SPEC_START + 1n * NS_PER_SECOND
  const members = [ref(GROUP.data), ref(GROUP.log)]
  const on = await sim.groupViewOn(members, point)
  t.same(on.outcomes.map((o) => o.ok), [true, true])
  await sim.groupViewOff(members)
  t.same(heard.filter(([u]) => !u.startsWith('second')), [[GROUP.data, true], [GROUP.log, true], [GROUP.data, false], [GROUP.log, false]])
  heard.length = 0
  const reverted = await sim.groupRevert(members, point)
  t.same(reverted.outcomes.map((o) => o.ok), [true, true])
  t.same(heard, [], 'a revert is no view change')
  const refused = await sim.groupViewOn([ref(GROUP.data), ref(GROUP.scratch)], point)
  t.same(refused.outcomes.map((o) => o.ok), [false, false], 'all or nothing')
  t.same(heard, [], 'a refused group view is not heard')
})

t.test('a group call happens at one ns after every member\'s last change', async (t) => {
  const sim = openSimulator({ db: ':memory:', topology: groupTopology, clock: { mode: 'manual' } })
  t.teardown(() => sim.close())
  await sim.enable([ref(GROUP.data), ref(GROUP.log)])
  advanceSeconds(sim, 1)
  const point = sim.clock().now
  const last = writeBlock(sim, GROUP.log, 0, 1)
  const again = writeBlock(sim, GROUP.log, 1, 2)
  t.equal(again, last + 1n, 'writes at one now step a ns each')
  const result = await sim.groupViewOn([ref(GROUP.data), ref(GROUP.log)], point)
  t.equal(result.time, again + 1n, 'the group\'s ns is after the log\'s last write')
  t.same(result.outcomes.map((o) => o.ok ? o.snapshot_name : o.error.code), [`CDP-auto-${point / NS_PER_SECOND - 1n}`, `CDP-auto-${point / NS_PER_SECOND - 1n}`])
  const off = await sim.groupViewOff([ref(GROUP.data), ref(GROUP.log)])
  t.equal(off.time, again + 2n)
  t.same(off.outcomes.map((o) => o.ok ? [o.snapshot_name, o.host_uuid] : o.error.code), [['', ''], ['', '']])
  const back = await sim.groupRevert([ref(GROUP.data), ref(GROUP.log)], point)
  t.equal(back.time, again + 3n)
  t.same(back.outcomes.map((o) => o.ok ? o.host_uuid : o.error.code), ['', ''])
  t.same(sim.image(GROUP.log).digest, sim.image(GROUP.log, point).digest, 'the revert took the log back')
  t.same(await sim.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm }).then((m) => m.map((r) => r.volume_uuid).sort()), [GROUP.data, GROUP.log].sort(), 'the members with CDP')
})

t.test('a group call\'s ns is after the latest of its members\' last changes, whichever member made it', async (t) => {
  for (const busy of [GROUP.data, GROUP.log]) {
    const sim = openSimulator({ db: ':memory:', topology: groupTopology, clock: { mode: 'manual' } })
    t.teardown(() => sim.close())
    await sim.enable([ref(GROUP.data), ref(GROUP.log)])
    advanceSeconds(sim, 1)
    const point = sim.clock().now
    const quiet = busy === GROUP.data ? GROUP.log : GROUP.data
    writeBlock(sim, quiet, 0, 1)
    writeBlock(sim, busy, 0, 2)
    writeBlock(sim, busy, 1, 3)
    const last = writeBlock(sim, busy, 2, 4)
    t.equal(last, point + 2n, `${busy}: its third write, 2 ns past now`)
    const result = await sim.groupViewOn([ref(GROUP.data), ref(GROUP.log)], point)
    t.equal(result.time, last + 1n, `${busy}: the group's ns is after its last write`)
  }
})

t.test('a view on a point read as recoverable just now holds, and the view is at the point', async (t) => {
  const sim = await openCdp1(t)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  const point = await pointAt(sim, ref(DEMO.cdp1), at)
  const { host_uuid: host } = await sim.viewOn(ref(DEMO.cdp1), point)
  t.equal(host, DEMO.host1)
  t.same(sim.viewFacts(DEMO.cdp1), { host_uuid: DEMO.host1, snapshot_name: point.snapshot_name, time: at })
  t.same(sim.viewImage(DEMO.cdp1), { digest: sim.image(DEMO.cdp1, at).digest, time: at })
  t.same(sim.readView(DEMO.cdp1, 0, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 1), 'the view reads the block as it was')
  t.same(sim.allocated(DEMO.cdp1, 0, 4 * BLOCK_SIZE, true), [{ first: 0, count: 1 }], 'the view\'s allocated blocks')
  t.same(sim.allocated(DEMO.cdp1, BLOCK_SIZE, 4 * BLOCK_SIZE, true), [], 'none past block 0')
  await sim.viewOff(ref(DEMO.cdp1))
  t.equal(await failure(() => sim.viewFacts(DEMO.cdp1)), 'VIEW_NOT_FOUND')
})

t.test('reads of the image: live, at a time, and byte ranges block by block', async (t) => {
  const sim = await openCdp1(t)
  const empty = sim.image(DEMO.cdp1).digest
  const first = sim.write(DEMO.cdp1, [{ offset: BLOCK_SIZE, length: 2 * BLOCK_SIZE, fill: 5 }, { offset: 8 * BLOCK_SIZE, length: BLOCK_SIZE, fill: 6 }])
  t.equal(first.count, 2, 'count is the writes given')
  advanceSeconds(sim, 1)
  const second = writeBlock(sim, DEMO.cdp1, 1, 7)
  t.ok(second > first.time)
  t.same(sim.readImage(DEMO.cdp1, BLOCK_SIZE, 2 * BLOCK_SIZE), Buffer.concat([Buffer.alloc(BLOCK_SIZE, 7), Buffer.alloc(BLOCK_SIZE, 5)]), 'live bytes of blocks 1 and 2')
  t.same(sim.readImage(DEMO.cdp1, 2 * BLOCK_SIZE, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 5), 'block 2 alone')
  t.same(sim.readImage(DEMO.cdp1, BLOCK_SIZE, BLOCK_SIZE, first.time), Buffer.alloc(BLOCK_SIZE, 5), 'block 1 as it was at the first write')
  t.same(sim.readImage(DEMO.cdp1, 0, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 0), 'an unwritten block reads as zeros')
  t.same(sim.allocated(DEMO.cdp1, 0, 16 * BLOCK_SIZE, false), [{ first: 1, count: 2 }, { first: 8, count: 1 }], 'allocated runs of the live image')
  t.same(sim.allocated(DEMO.cdp1, 2 * BLOCK_SIZE, 7 * BLOCK_SIZE, false), [{ first: 2, count: 1 }, { first: 8, count: 1 }], 'from block 2 to block 8')
  t.equal(sim.image(DEMO.cdp1, first.time).time, first.time)
  t.not(sim.image(DEMO.cdp1, first.time).digest, sim.image(DEMO.cdp1).digest)
  t.equal(sim.image(DEMO.cdp1).time, sim.clock().now, 'the live image is at now')
  t.not(sim.image(DEMO.cdp1).digest, empty)
  t.equal(await failure(() => sim.image(DEMO.vol1, first.time)), 'CDP_NOT_FOUND', 'a time on a volume without CDP')
  t.equal(await failure(() => sim.image(DEMO.cdp1, SPEC_START - 1n)), 'POINT_NOT_RECOVERABLE')
  t.equal(await failure(() => sim.readImage(DEMO.cdp1, 0, BLOCK_SIZE, SPEC_START - 1n)), 'POINT_NOT_RECOVERABLE')
  t.equal(sim.image(DEMO.vol1).time, sim.clock().now, 'a volume without CDP has a live image')
})

t.test('advance brings every CDP volume up to now; recoverable and journal stats read at now', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.enable([ref(DEMO.cdp1), ref(DEMO.vol1)])
  const now = sim.advance(25n * NS_PER_SECOND)
  t.equal(now, SPEC_START + 25n * NS_PER_SECOND)
  t.equal(sim.clock().now, now)
  for (const uuid of [DEMO.cdp1, DEMO.vol1]) {
    t.equal((await eventsOfKind(sim, uuid, 'auto_snapshot')).length, 3, `${uuid}: at 0, 10 and 20 s`)
  }
  t.same(sim.recoverable(DEMO.cdp1).ranges.map((r) => [r.from, r.to]), [[SPEC_START, now]])
  t.same(sim.journalStats().map((s) => [s.volume_uuid, s.window_seconds]).sort(), [[DEMO.cdp1, 25], [DEMO.vol1, 25]].sort())
  t.equal(await failure(() => sim.recoverable(DEMO.kenVolume)), 'CDP_NOT_FOUND')
})

/**
 * A second simulator on the same database file, with a real clock that reads `seconds` past
 * the spec's start (a snapshot every 10 s): time has passed for the volumes without any call
 * bringing them up to it.
 */
function laterOn (t: Test, db: string, seconds: bigint): Simulator {
  const sim = openSimulator({ db, topology: demoTopology, clock: { mode: 'real', origin: { wallNs: SPEC_START + seconds * NS_PER_SECOND, hrNs: process.hrtime.bigint() } }, snapshotIntervalSeconds: 10 })
  t.teardown(() => sim.close())
  return sim
}

/** A manual-clock simulator on a new database file with CDP on for cdp-1 at the spec's start, a snapshot every 10 s. */
async function cdp1OnFile (t: Test, cdpPolicy?: CdpPolicy): Promise<{ sim: Simulator, db: string }> {
  const db = join(tempDir(t, 'cdp-later-'), 'sim.db')
  const sim = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' }, snapshotIntervalSeconds: 10 })
  t.teardown(() => sim.close())
  if (cdpPolicy !== undefined) t.same(outcomes(await sim.edit(cdpPolicy, [ref(DEMO.cdp1)])), ['ok'])
  t.same(outcomes(await sim.enable([ref(DEMO.cdp1)])), ['ok'])
  return { sim, db }
}

t.test('events are read at now: the auto snapshots that fell due since the last call are listed', async (t) => {
  const { db } = await cdp1OnFile(t)
  const later = laterOn(t, db, 100n)
  t.equal((await eventsOfKind(later, DEMO.cdp1, 'auto_snapshot')).length, 11, 'at the enable and every 10 s to 100 s')
})

t.test('an image at a time is judged at now: a point retention has passed since the last call is POINT_NOT_RECOVERABLE', async (t) => {
  const { db } = await cdp1OnFile(t, policy(1n << 30n, 30n))
  const later = laterOn(t, db, 100n)
  t.equal(await failure(() => later.image(DEMO.cdp1, SPEC_START + NS_PER_SECOND)), 'POINT_NOT_RECOVERABLE', 'at 1 s: older than the 30 s kept')
  t.equal(await failure(() => later.image(DEMO.cdp1, SPEC_START + 80n * NS_PER_SECOND)), 'no error', 'at 80 s: kept')
})

t.test('advance applies retention itself: the read-only journal stats see the window cut to reserve_duration', async (t) => {
  const { sim } = await cdp1OnFile(t, policy(1n << 30n, 30n))
  sim.advance(100n * NS_PER_SECOND)
  t.same(sim.journalStats().map((s) => [s.volume_uuid, s.window_seconds]), [[DEMO.cdp1, 30]], 'from the snapshot at 70 s to 100 s')
})

t.test('info entries carry the change count and a valid-until in the future; the count moves with changes only', async (t) => {
  const sim = await openCdp1(t, { snapshotIntervalSeconds: 10 })
  const entry = await sim.infoEntry(ref(DEMO.cdp1))
  t.same(entry.info, await sim.info(ref(DEMO.cdp1)))
  t.equal(entry.changes, sim.changeCount())
  t.equal(entry.validUntil, SPEC_START + 10n * NS_PER_SECOND, 'the next auto snapshot')
  t.ok(sim.changeCount() > 0n)
  const before = sim.changeCount()
  await sim.info(ref(DEMO.cdp1))
  sim.volumes()
  t.equal(sim.changeCount(), before, 'reads change nothing')
  writeBlock(sim, DEMO.cdp1, 0, 1)
  t.ok(sim.changeCount() > before, 'a write moves it')
  await sim.close()
  t.equal(sim.changeCount(), -1n, 'closed: -1')
})

t.test('ready answers while open; a closed simulator is BACKEND_UNAVAILABLE', async (t) => {
  const sim = openSimulator({ db: ':memory:', topology: demoTopology, clock: { mode: 'manual' } })
  await sim.ready()
  await sim.close()
  await t.rejects(sim.ready(), { code: 'BACKEND_UNAVAILABLE', desc: 'the simulator database is closed' })
})

t.test('hosts and VMs by uuid in any letter case; unknown ones are refused; the same state again is no event', async (t) => {
  const sim = await openCdp1(t)
  sim.setHostOnline(DEMO.host1.toUpperCase(), false)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.online), [false], 'its segments are offline')
  sim.setHostOnline(DEMO.host1, false)
  sim.setHostOnline(DEMO.host1, true)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.online), [true], 'online again')
  sim.setHostOnline(DEMO.host1, true)
  t.same(await eventsOfKind(sim, DEMO.cdp1, 'host_offline', 'host_online').then((e) => e.map((x) => x.kind)), ['host_offline', 'host_online'])
  t.equal(await failure(() => { sim.setHostOnline(MISSING, true) }), 'HOST_NOT_FOUND')
  t.equal(await failure(() => { sim.setHostOnline(MISSING, false) }), 'HOST_NOT_FOUND')
  await sim.enable([ref(DEMO.kenVolume)])
  const at = writeBlock(sim, DEMO.kenVolume, 0, 1)
  const point = await pointAt(sim, ref(DEMO.kenVolume), at)
  sim.setVmRunning(DEMO.kenVm, true)
  t.equal(await failure(() => sim.revert(ref(DEMO.kenVolume), point)), 'VOLUME_IN_USE', 'a running VM\'s volume')
  sim.setVmRunning(DEMO.kenVm.toUpperCase(), false)
  t.equal(await failure(() => sim.revert(ref(DEMO.kenVolume), point)), 'no error', 'stopped')
  sim.setVmRunning(DEMO.kenVm, false)
  sim.setVmRunning(DEMO.kenVm, true)
  t.equal(await failure(() => sim.revert(ref(DEMO.kenVolume), point)), 'VOLUME_IN_USE', 'running again')
  t.equal(await failure(() => { sim.setVmRunning(MISSING, true) }), 'VM_NOT_FOUND')
})

t.test('events outlive the CDP: a cleaned volume still lists them; a volume that never had CDP lists none', async (t) => {
  const sim = await openCdp1(t)
  await sim.disable([ref(DEMO.cdp1)])
  await sim.clean(ref(DEMO.cdp1))
  t.equal(await failure(() => sim.info(ref(DEMO.cdp1))), 'CDP_NOT_FOUND')
  t.ok((await kinds(sim, DEMO.cdp1)).includes('cdp_cleaned'))
  t.same(await kinds(sim, DEMO.vol1), [])
})

t.test('clean with a segment cleans that segment only', async (t) => {
  const sim = await openCdp1(t)
  writeBlock(sim, DEMO.cdp1, 0, 1)
  await sim.disable([ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const seqs = (await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq)
  t.equal(seqs.length, 2)
  await sim.clean(ref(DEMO.cdp1), seqs[0])
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), seqs.slice(1))
  t.same((await eventsOfKind(sim, DEMO.cdp1, 'segment_cleaned')).length, 1)
})

t.test('window, protection and changes answer for a CDP volume at now', async (t) => {
  const sim = await openCdp1(t)
  const from = sim.clock().now
  advanceSeconds(sim, 1)
  writeBlock(sim, DEMO.cdp1, 3, 1)
  advanceSeconds(sim, 1)
  const to = sim.clock().now
  const window = await sim.window(ref(DEMO.cdp1))
  t.same(window.ranges.map((r) => [r.from, r.to]), [[SPEC_START, to]], 'recoverable from the enable to now')
  t.same([window.on_seconds, window.actual_seconds, window.recoverable_seconds], [3n, 3n, 3n])
  const survey = await sim.protection(10)
  t.same(survey.volumes.map((v) => v.volume_uuid), [DEMO.cdp1])
  const changed = await sim.changes(ref(DEMO.cdp1), { from, to, start: 0n, limit: 10 })
  t.same(changed.extents.map((e) => [e.offset, e.length]), [[3 * BLOCK_SIZE, BLOCK_SIZE]])
  t.equal(await failure(() => sim.window(ref(DEMO.vol1))), 'CDP_NOT_FOUND')
})

t.test('a reset or a load forgets the kept write targets: a write after it lands on the volume as it now is', async (t) => {
  const dir = tempDir(t, 'cdp-targets-')
  const sim = openDemo(t)
  writeBlock(sim, DEMO.cdp1, 0, 1)
  const bytes = await sim.saveState(join(dir, 'scratch'))
  const file = join(dir, 'state.db')
  writeFileSync(file, bytes)
  // The same volumes in another order: the volume ids change, so a kept target would be wrong.
  const reversed = { ...demoTopology, volumes: [...demoTopology.volumes].reverse().filter((v) => v.uuid !== DEMO.linData) }
  sim.reset(reversed)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  t.same(sim.readImage(DEMO.cdp1, 0, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 2))
  for (const v of reversed.volumes.filter((v) => v.uuid !== DEMO.cdp1)) {
    t.same(sim.readImage(v.uuid, 0, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 0), `${v.name} untouched`)
  }
  sim.reset()
  t.equal(await failure(() => sim.image(DEMO.linData)), 'VOLUME_NOT_FOUND', 'a plain reset keeps the topology last given')
  t.same(sim.readImage(DEMO.cdp1, 0, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 0), 'a plain reset keeps the topology last given')
  writeBlock(sim, DEMO.cdp1, 1, 3)
  sim.loadState(file)
  writeBlock(sim, DEMO.cdp1, 2, 4)
  t.same(sim.readImage(DEMO.cdp1, 0, 3 * BLOCK_SIZE), Buffer.concat([Buffer.alloc(BLOCK_SIZE, 1), Buffer.alloc(BLOCK_SIZE, 0), Buffer.alloc(BLOCK_SIZE, 4)]))
  for (const v of demoTopology.volumes.filter((v) => v.uuid !== DEMO.cdp1)) {
    t.same(sim.readImage(v.uuid, 0, 3 * BLOCK_SIZE), Buffer.alloc(3 * BLOCK_SIZE, 0), `${v.name} untouched after the load`)
  }
  t.equal(await failure(() => { sim.write(MISSING, [{ offset: 0, length: BLOCK_SIZE, fill: 1 }]) }), 'VOLUME_NOT_FOUND')
})

t.test('a load by another simulator on the same file is seen too: a write after it lands on the volume as it now is', async (t) => {
  const dir = tempDir(t, 'cdp-targets-shared-')
  // A state of the same volumes in another order: their ids differ from the file's.
  const reversed = openSimulator({ db: ':memory:', topology: { ...demoTopology, volumes: [...demoTopology.volumes].reverse() }, clock: { mode: 'manual' } })
  const saved = join(dir, 'reversed.db')
  writeFileSync(saved, await reversed.saveState(join(dir, 'scratch')))
  await reversed.close()
  const db = join(dir, 'shared.db')
  const writer = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' } })
  t.teardown(() => writer.close())
  const loader = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' } })
  t.teardown(() => loader.close())
  writeBlock(writer, DEMO.vol1, 0, 1)
  loader.loadState(saved)
  writeBlock(writer, DEMO.vol1, 0, 2)
  t.same(loader.readImage(DEMO.vol1, 0, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 2), 'the write is on vol-1')
  for (const v of demoTopology.volumes.filter((v) => v.uuid !== DEMO.vol1)) {
    t.same(loader.readImage(v.uuid, 0, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 0), `${v.name} untouched`)
  }
})

t.test('snapshots on demand: at most one a second per volume, named by the second', async (t) => {
  const sim = await openCdp1(t)
  const now = sim.clock().now
  const first = sim.takeSnapshots([DEMO.cdp1.toUpperCase()])
  t.same(first, [{ volume_uuid: DEMO.cdp1, name: `CDP-auto-${now / NS_PER_SECOND}`, time: now, taken: true }])
  t.same(sim.takeSnapshots([DEMO.cdp1]).map((s) => s.taken), [false])
  t.equal(await failure(() => sim.takeSnapshots([DEMO.vol1])), 'CDP_NOT_FOUND')
})

t.test('disk states go through to the disk rules', async (t) => {
  const sim = await openCdp1(t)
  const path = demoTopology.clusters[0]?.hosts.find((h) => h.uuid === DEMO.host1)?.cdp_disks[0]?.path
  if (path === undefined) throw new Error('no disk on host 1')
  await sim.disable([ref(DEMO.cdp1)])
  sim.setDiskState(DEMO.host1, path, 'failed')
  t.equal((await eventsOfKind(sim, DEMO.cdp1, 'disk_failed')).length, 1)
  t.same(outcomes(await sim.enable([ref(DEMO.cdp1)])), ['DISK_FAULTY'], 'no enable on a faulty disk')
  sim.setDiskState(DEMO.host1, path, 'ok')
  t.same(outcomes(await sim.enable([ref(DEMO.cdp1)])), ['ok'], 'the disk back: enable goes through')
})

t.test('a revert takes the volume back to the point', async (t) => {
  const sim = await openCdp1(t)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  await sim.revert(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
  t.same(sim.readImage(DEMO.cdp1, 0, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 1))
  t.same((await eventsOfKind(sim, DEMO.cdp1, 'reverted')).length, 1)
})

t.test('a segment holds the capacity the simulator was opened with (10 GiB by default)', async (t) => {
  const small = await openCdp1(t, { segmentCapacity: 2n * BigInt(BLOCK_SIZE) })
  for (let block = 0; block < 3; block++) writeBlock(small, DEMO.cdp1, block, 1)
  t.same((await small.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [0n, 1n], 'two blocks a segment: the third write opens a second')
  const byDefault = await openCdp1(t)
  byDefault.write(DEMO.cdp1, [{ offset: 0, length: 256 * BLOCK_SIZE, fill: 1 }])
  t.same((await byDefault.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [0n], 'a megabyte fits the default segment')
})

t.test('a point 1 ns past the clock\'s now is refused even though the change itself steps a ns', async (t) => {
  const sim = await openCdp1(t)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  const point = await pointAt(sim, ref(DEMO.cdp1), at)
  const now = sim.clock().now
  t.not(await failure(() => sim.viewOn(ref(DEMO.cdp1), { ...point, timestamp: now + 1n })), 'no error', 'the future')
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), { ...point, timestamp: now })), 'no error', 'now itself')
})

t.test('a write past the end of the volume is refused; one that ends at its end is taken', async (t) => {
  const sim = openDemo(t)
  const size = demoTopology.volumes.find((v) => v.uuid === DEMO.linData)?.size
  if (size === undefined) throw new Error('no lin-data')
  const end = Number(size)
  t.equal(await failure(() => { sim.write(DEMO.linData, [{ offset: end, length: BLOCK_SIZE, fill: 1 }]) }), 'INVALID_WRITE')
  t.equal(await failure(() => { sim.write(DEMO.linData, [{ offset: end - BLOCK_SIZE, length: BLOCK_SIZE, fill: 1 }]) }), 'no error')
  t.same(sim.readImage(DEMO.linData, end - BLOCK_SIZE, BLOCK_SIZE), Buffer.alloc(BLOCK_SIZE, 1))
})
