// Disk faults through /sim/v1/hosts/{host_uuid}/disks, observed through the CDP API and the
// control API: the volume keeps taking writes, its journal records none while the disk is
// failed or full (a gap, with its reason and events), enabling CDP there is refused, `ok`
// heals it and the points after the heal replay right; the state survives a restart, travels
// in a state file and is undone by reset. Bad requests are envelopes that change nothing.
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { type Simulator, buildSimulatorApp, loadTopology, openHarness } from '../../simulator/index.js'
import { CDP, DEMO, DEMO_TOPOLOGY, call, volume } from '../helpers/app.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { advanceSeconds, eventsOfKind, failure, openDemo, ref, refusalDesc, writeBlock } from '../helpers/simulator.js'
import { Scode } from '../../src/errors.js'

const SIM = '/sim/v1'
const topology = loadTopology(DEMO_TOPOLOGY)
// The demo's cdp-1 gets its reservation on the larger disk: /dev/sdd of host1.
const DISK = `${SIM}/hosts/${DEMO.host1}/disks`
const VOL = `cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`

async function openApi (t: Test, db = ':memory:'): Promise<FastifyInstance> {
  const app = await buildSimulatorApp(openHarness({ db, topology, clock: { mode: 'manual' } }))
  t.teardown(() => app.close())
  return app
}

const write = async (app: FastifyInstance, fill: number) =>
  (await call(app, 'POST', `${SIM}/volumes/${DEMO.cdp1}/writes`, { writes: [{ offset: 0, length: 4096, fill }] })).body.data.time as bigint
const advance = async (app: FastifyInstance, seconds: number) => await call(app, 'POST', `${SIM}/clock/advance`, { seconds })
const segment = async (app: FastifyInstance) => (await call(app, 'GET', `${CDP}/info?${VOL}`)).body.data.cdp_info[0]
const ranges = async (app: FastifyInstance) => (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/recoverable`)).body.data.ranges
const gapReasons = async (app: FastifyInstance) => ((await call(app, 'GET', `${CDP}/window?${VOL}`)).body.data.gaps as Array<{ reason: string }>).map((g) => g.reason)
const imageAt = async (app: FastifyInstance, at?: bigint) => (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image${at === undefined ? '' : `?at=${at}`}`)).body
const eventKinds = async (app: FastifyInstance) => ((await call(app, 'GET', `${CDP}/events?${VOL}`)).body.data.events as Array<{ kind: string }>).map((e) => e.kind)

/** CDP on cdp-1 with one journaled write a minute in; answers that write's time. */
async function journaled (app: FastifyInstance): Promise<bigint> {
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  await advance(app, 60)
  return await write(app, 1)
}

t.test('a failed disk: writes go on unjournaled, its segment is offline, enabling there is refused; ok heals it', async (t) => {
  const app = await openApi(t)
  const before = await journaled(app)
  t.equal((await segment(app)).usd_path, '/dev/sdd')
  const failed = await call(app, 'POST', DISK, { path: '/dev/sdd', state: 'failed' })
  t.strictSame(failed, { status: 200, body: { scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data: { path: '/dev/sdd', state: 'failed' } } })
  await advance(app, 10)
  const during = await write(app, 2)
  t.ok(during > before, 'the volume still takes writes')
  const offline = await segment(app)
  t.equal(offline.online, false, 'info: the segment is offline')
  t.equal(offline.use, 4096, 'info: the segment did not grow')
  t.strictSame(await ranges(app), [], 'nothing on a failed disk is recoverable')
  t.ok((await gapReasons(app)).includes('disk_failed'), 'window: a disk_failed gap')
  t.ok((await eventKinds(app)).includes('disk_failed'), 'events: disk_failed')

  await call(app, 'POST', `${CDP}/disable`, { volumes: [volume(DEMO.cdp1)] })
  const refused = await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  t.equal(refused.body.data.fail, 1)
  t.equal(refused.body.data.results[0].scode, Scode.DISK_FAULTY.scode, refused.body.data.results[0].desc)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.vol1)] })
  t.equal((await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.vol1}`)).body.data.cdp_info[0].usd_path, '/dev/sde', 'a new CDP is placed on a healthy disk')

  t.equal((await call(app, 'POST', DISK, { path: '/dev/sdd', state: 'ok' })).status, 200)
  t.equal((await segment(app)).online, true, 'healed: online again')
  const [range] = await ranges(app)
  t.ok(range.from <= before && range.to < during, `the points before the fault stay recoverable, the fault's are not (${range.from}..${range.to})`)
  t.equal((await imageAt(app, during)).scode, Scode.POINT_NOT_RECOVERABLE.scode)
  t.ok((await eventKinds(app)).includes('disk_ok'), 'events: disk_ok')
})

t.test('a full disk: the segment stays online but stops growing; after the heal the new points replay the live content', async (t) => {
  const app = await openApi(t)
  const before = await journaled(app)
  await call(app, 'POST', DISK, { path: '/dev/sdd', state: 'full' })
  await advance(app, 10)
  const during = await write(app, 2)
  const full = await segment(app)
  t.equal(full.online, true, 'a full disk is still readable')
  t.equal(full.use, 4096, 'but its segment stops growing')
  t.strictSame((await ranges(app)).map((r: { to: bigint }) => r.to < during), [true], 'the range ends before the fault')
  t.ok((await gapReasons(app)).includes('disk_full'), 'window: a disk_full gap')
  const view = await call(app, 'POST', `${CDP}/view`, { ...volume(DEMO.cdp1), op: 'on', snapshot_name: (await segment(app)).snaps[0].name, timestamp: during })
  t.equal(view.body.scode, Scode.POINT_NOT_RECOVERABLE.scode, 'a view inside the fault is refused')

  await advance(app, 10)
  await call(app, 'POST', DISK, { path: '/dev/sdd', state: 'ok' })
  const live = (await imageAt(app)).data
  const healed = (await ranges(app)).at(-1)
  t.ok(healed.from > during, 'a range again from the heal on')
  t.equal((await imageAt(app, healed.from)).data.digest, live.digest, 'the heal journaled what the fault missed')
  t.not((await imageAt(app, before)).data.digest, live.digest, 'the point before the fault is its own content')
  await write(app, 3)
  t.equal((await segment(app)).use, 3 * 4096, 'the journal grows again: the heal\'s catch-up and the new write')
})

t.test('unknown host or disk is a 404, a bad body a 400; none changes anything', async (t) => {
  const app = await openApi(t)
  await journaled(app)
  const info = await segment(app)
  const cases: Array<[string, string, unknown, number, number]> = [
    ['unknown host', `${SIM}/hosts/00000000-0000-4000-8000-000000000000/disks`, { path: '/dev/sdd', state: 'failed' }, 404, Scode.HOST_NOT_FOUND.scode],
    ['unknown disk', DISK, { path: '/dev/sdz', state: 'failed' }, 404, Scode.DISK_NOT_FOUND.scode],
    ['the other host\'s disk', DISK, { path: '/dev/sde', state: 'failed' }, 404, Scode.DISK_NOT_FOUND.scode],
    ['a bad state', DISK, { path: '/dev/sdd', state: 'broken' }, 400, Scode.INVALID_PARAMETER.scode],
    ['no path', DISK, { state: 'failed' }, 400, Scode.MISSING_PARAMETER.scode],
    ['an empty path', DISK, { path: '', state: 'failed' }, 400, Scode.INVALID_PARAMETER.scode],
    ['a bad host uuid', `${SIM}/hosts/not-a-uuid/disks`, { path: '/dev/sdd', state: 'failed' }, 400, Scode.INVALID_UUID.scode]
  ]
  for (const [what, url, body, status, scode] of cases) {
    const res = await call(app, 'POST', url, body)
    t.equal(res.status, status, `${what}: ${status}`)
    t.equal(res.body.scode, scode, `${what}: ${res.body.desc}`)
    t.equal(res.body.data, null)
  }
  t.strictSame(await segment(app), info, 'nothing changed')
})

t.test('a disk fault survives a restart, travels in a state file, and reset undoes it', async (t) => {
  const db = join(tempDir(t, 'cdp-disk-fault-'), 'sim.db')
  const first = await openApi(t, db)
  await journaled(first)
  await call(first, 'POST', DISK, { path: '/dev/sdd', state: 'failed' })
  const saved = (await first.inject({ method: 'GET', url: `${SIM}/state` })).rawPayload
  await first.close()

  const again = await openApi(t, db)
  t.equal((await segment(again)).online, false, 'after a restart on the same file: still failed')
  await call(again, 'POST', `${SIM}/reset`)
  await call(again, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  t.equal((await segment(again)).online, true, 'reset: the disk is healthy again')

  const other = await openApi(t)
  await other.inject({ method: 'PUT', url: `${SIM}/state`, headers: { 'content-type': 'application/vnd.sqlite3' }, payload: saved })
  t.equal((await segment(other)).online, false, 'loaded from the state file: failed')
  t.equal((await call(other, 'POST', `${CDP}/disable`, { volumes: [volume(DEMO.cdp1)] })).body.data.success, 1)
  t.equal((await call(other, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })).body.data.results[0].scode, Scode.DISK_FAULTY.scode)
})

// The rules of fault spans on the simulator itself: where each range ends and starts again,
// the ns a fault takes, and what each refusal says.
const FAULTY = '/dev/sdd'

/** The disk event times of cdp-1 of `kind`, oldest first. */
const diskEvents = async (sim: Simulator, kind: 'disk_failed' | 'disk_full' | 'disk_ok') => (await eventsOfKind(sim, DEMO.cdp1, kind)).map((e) => e.time)
const recoverableAt = (sim: Simulator, uuid: string, at: bigint) => sim.recoverable(uuid).ranges.some((r) => r.from <= at && at <= r.to)

/** A demo simulator with CDP on cdp-1 (on FAULTY) and one block written a second in; answers that write's ns. */
async function cdp1Written (t: Test): Promise<{ sim: Simulator, written: bigint }> {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  return { sim, written: writeBlock(sim, DEMO.cdp1, 0, 1) }
}

t.test('a fault cuts its span out exactly: a range ends the ns before it and starts again at the heal; segments wholly before or after it keep theirs', async (t) => {
  const { sim, written } = await cdp1Written(t)
  sim.setDiskState(DEMO.host1, FAULTY, 'full')
  const [full] = await diskEvents(sim, 'disk_full')
  t.equal(full, written + 1n, 'the fault takes the ns after the last change')
  const first = sim.recoverable(DEMO.cdp1).ranges[0]?.from as bigint
  t.strictSame(sim.recoverable(DEMO.cdp1).ranges, [{ from: first, to: written, seq: 0n }], 'at once: the range ends the ns before the fault')
  advanceSeconds(sim, 10)
  sim.setDiskState(DEMO.host1, FAULTY, 'ok')
  const [healed] = await diskEvents(sim, 'disk_ok')
  advanceSeconds(sim, 1)
  const closed = sim.advance(0n)
  await sim.disable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const again = writeBlock(sim, DEMO.cdp1, 1, 2)
  sim.setDiskState(DEMO.host1, FAULTY, 'full')
  const ranges = sim.recoverable(DEMO.cdp1).ranges
  t.strictSame(ranges.slice(0, 2), [{ from: first, to: written, seq: 0n }, { from: healed, to: closed, seq: 0n }],
    'the first segment: cut by the first fault, ending where it was closed (not stretched to the second fault)')
  t.equal(ranges.length, 3)
  t.ok((ranges[2]?.from as bigint) > closed && ranges[2]?.to === again, 'the second segment: from its own first snapshot (not the first fault\'s heal) to the ns before the second fault')
})

t.test('back-to-back faults (failed, then full for one ns) are cut out exactly: nothing of either stays, no empty range is left', async (t) => {
  const { sim, written } = await cdp1Written(t)
  sim.setDiskState(DEMO.host1, FAULTY, 'failed')
  advanceSeconds(sim, 10)
  sim.setDiskState(DEMO.host1, FAULTY, 'full')
  sim.advance(1n)
  sim.setDiskState(DEMO.host1, FAULTY, 'ok')
  const [full] = await diskEvents(sim, 'disk_full')
  const [healed] = await diskEvents(sim, 'disk_ok')
  t.equal(healed, (full as bigint) + 1n, 'the full fault lasted one ns')
  const now = advanceSeconds(sim, 1)
  const first = sim.recoverable(DEMO.cdp1).ranges[0]?.from as bigint
  t.strictSame(sim.recoverable(DEMO.cdp1).ranges, [{ from: first, to: written, seq: 0n }, { from: healed, to: now, seq: 0n }])
})

t.test('a fault healed without the clock moving still lasts its one ns: the heal takes the ns after it, and no range is split at a fault that covered no time', async (t) => {
  const { sim, written } = await cdp1Written(t)
  for (const state of ['full', 'failed'] as const) {
    sim.setDiskState(DEMO.host1, FAULTY, state)
    sim.setDiskState(DEMO.host1, FAULTY, 'ok')
  }
  const [full, failed] = [...await diskEvents(sim, 'disk_full'), ...await diskEvents(sim, 'disk_failed')]
  const heals = await diskEvents(sim, 'disk_ok')
  t.strictSame(heals, [(full as bigint) + 1n, (failed as bigint) + 1n], 'each heal is the ns after its fault began')
  t.equal(full, written + 1n)
  t.equal(failed, (full as bigint) + 2n, 'the next fault takes the ns after the heal')
  const now = sim.advance(0n)
  const first = sim.recoverable(DEMO.cdp1).ranges[0]?.from as bigint
  t.strictSame(sim.recoverable(DEMO.cdp1).ranges, [
    { from: first, to: written, seq: 0n },
    { from: (full as bigint) + 1n, to: (full as bigint) + 1n, seq: 0n },
    { from: (failed as bigint) + 1n, to: now, seq: 0n }
  ], 'each fault cuts out exactly its own ns')
})

t.test('a fault\'s start is no change of the volume: a write at the same clock reading takes the ns the fault began, inside it', async (t) => {
  const { sim, written } = await cdp1Written(t)
  sim.setDiskState(DEMO.host1, FAULTY, 'full')
  const [full] = await diskEvents(sim, 'disk_full')
  t.equal(full, written + 1n)
  t.equal(writeBlock(sim, DEMO.cdp1, 0, 2), full, 'the ns after the last write, which is the fault\'s first')
  t.notOk(recoverableAt(sim, DEMO.cdp1, full as bigint), 'a time the full disk did not record')
})

t.test('a fault begins after the newest change of every volume on its disk', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1), ref(DEMO.vol1)])
  t.strictSame((await sim.info(ref(DEMO.vol1))).cdp_info.map((s) => s.usd_path), [FAULTY], 'both volumes journal on the disk')
  // Each order once: whichever volume the disk's query reads last, the other wrote later.
  for (const [older, newer] of [[DEMO.vol1, DEMO.cdp1], [DEMO.cdp1, DEMO.vol1]] as const) {
    advanceSeconds(sim, 1)
    writeBlock(sim, older, 0, 1)
    advanceSeconds(sim, 1)
    const last = writeBlock(sim, newer, 0, 2)
    sim.setDiskState(DEMO.host1, FAULTY, 'full')
    t.ok(recoverableAt(sim, newer, last), `${newer === DEMO.cdp1 ? 'cdp-1' : 'vol-1'}'s write just before the fault stays recoverable`)
    advanceSeconds(sim, 1)
    sim.setDiskState(DEMO.host1, FAULTY, 'ok')
  }
})

t.test('putting a disk in the state it is in changes nothing and records nothing', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  sim.setDiskState(DEMO.host1, FAULTY, 'ok')
  t.strictSame(await diskEvents(sim, 'disk_ok'), [], 'ok on a healthy disk')
  sim.setDiskState(DEMO.host1, FAULTY, 'failed')
  advanceSeconds(sim, 1)
  const events = await sim.events(ref(DEMO.cdp1), { page_num: 0, page_size: 0 })
  sim.setDiskState(DEMO.host1, FAULTY, 'failed')
  t.strictSame(await sim.events(ref(DEMO.cdp1), { page_num: 0, page_size: 0 }), events, 'failed on a failed disk')
})

t.test('each refusal of a faulty disk says why', async (t) => {
  const { sim, written } = await cdp1Written(t)
  const snapshot = (await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.snaps[0]?.name as string
  advanceSeconds(sim, 1)
  sim.setDiskState(DEMO.host1, FAULTY, 'failed')
  const before = { snapshot_name: snapshot, timestamp: written }
  t.strictSame([await failure(() => sim.viewOn(ref(DEMO.cdp1), before)), await refusalDesc(() => sim.viewOn(ref(DEMO.cdp1), before))],
    ['SEGMENT_OFFLINE', 'its CDP disk has failed'], 'a point recorded before the failure, while the disk is failed')
  await sim.disable([ref(DEMO.cdp1)])
  const [refused] = await sim.enable([ref(DEMO.cdp1)])
  t.strictSame(refused?.ok === false && [refused.error.code, refused.error.desc], ['DISK_FAULTY', 'the CDP disk is failed'])
  sim.setDiskState(DEMO.host1, FAULTY, 'full')
  const [again] = await sim.enable([ref(DEMO.cdp1)])
  t.strictSame(again?.ok === false && again.error.desc, 'the CDP disk is full')
  sim.setDiskState(DEMO.host1, FAULTY, 'ok')
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  sim.setDiskState(DEMO.host1, FAULTY, 'full')
  const during = advanceSeconds(sim, 1)
  const inside = { snapshot_name: (await sim.info(ref(DEMO.cdp1))).cdp_info.at(-1)?.snaps[0]?.name as string, timestamp: during }
  t.strictSame([await failure(() => sim.viewOn(ref(DEMO.cdp1), inside)), await refusalDesc(() => sim.viewOn(ref(DEMO.cdp1), inside))],
    ['POINT_NOT_RECOVERABLE', `${during}: its CDP disk was full then`], 'a point inside a fault')
  const host = DEMO.host1.toUpperCase()
  t.strictSame([await failure(() => sim.setDiskState(host, '/dev/sdz', 'failed')), await refusalDesc(() => sim.setDiskState(host, '/dev/sdz', 'failed'))],
    ['DISK_NOT_FOUND', `/dev/sdz on host ${host}`])
})
