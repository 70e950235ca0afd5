// The behaviour every CdpBackend adapter must show, whatever carries it: run by
// simulator.test.ts in-process and by agent.test.ts through AgentBackend → cdp-sim agent.
// The subject models the demo topology with a manual clock and 60 s auto snapshots.
import type { Test } from 'tap'
import type { BatchOutcome, CdpBackend, CdpPolicy, PointInTime, VolumeRef } from '../../../../src/backend/port.js'
import { pressureFacts } from '../../../../src/protection-pressure.js'
import { DEMO, SECOND } from '../../../helpers/app.js'
import type { WindowFacts } from '../../../../src/schemas/window.js'
import { GROUP } from '../../../helpers/group.js'
import type { Control } from './control.js'

export interface Subject { backend: CdpBackend, control: Control }
/** `topology`: a topology file instead of the demo's. */
export type OpenSubject = (t: Test, topology?: string) => Promise<Subject>

/** fixtures/unicode-topology.json: the demo cluster with names that need Unicode to search. */
const UNICODE_TOPOLOGY = 'fixtures/unicode-topology.json'
const UNICODE_VOLUMES = ['ÉCOLE-vol', 'ΣΟΦΙΑ-disk', 'ＦＵＬＬwidth', 'cafe\u0301-nfd', 'Straße-01', 'Beta-vol', 'alpha-vol', 'beta-vol']
  .map((name, i) => ({ name, uuid: `e1000000-0000-4000-8000-00000000000${i + 1}` }))

const ref = (volume: string, tenant?: string): VolumeRef =>
  ({ cluster_uuid: DEMO.cluster, volume_uuid: volume, ...(tenant === undefined ? {} : { tenant }) })
const POLICY: CdpPolicy = { cdp_priority: 'mid', reserve_capacity: 32212254720n, reserve_duration: 86400n }
const codes = (results: BatchOutcome[]): string[] => results.map((r) => r.ok ? 'ok' : r.error.code)

async function failure (fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn()
    return 'no error'
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
}

/** The point a client would name for `time`, read from info: the newest snapshot at or before it. */
async function pointAt (backend: CdpBackend, volume: VolumeRef, time: bigint): Promise<PointInTime> {
  const snaps = (await backend.info(volume)).cdp_info.flatMap((s) => s.snaps).filter((s) => s.time <= time)
  const base = snaps.at(-1)
  if (base === undefined) throw new Error(`no snapshot at or before ${time}`)
  return { snapshot_name: base.name, timestamp: time }
}

/** The time of cdp-1's oldest snapshot. */
async function firstSnapshot (backend: CdpBackend): Promise<bigint> {
  const snap = (await backend.info(ref(DEMO.cdp1))).cdp_info[0]?.snaps[0]
  if (snap === undefined) throw new Error('cdp-1 has no snapshot')
  return snap.time
}

/** CDP on for cdp-1, three writes a minute apart; returns the time of each. */
async function history ({ backend, control }: Subject): Promise<bigint[]> {
  await backend.enable([ref(DEMO.cdp1)])
  const times: bigint[] = []
  for (const fill of [1, 2, 3]) {
    times.push(await control.write(DEMO.cdp1, [{ offset: 0, length: 8192, fill }]))
    await control.advance(60n * SECOND)
  }
  return times
}

export function conformance (t: Test, open: OpenSubject): void {
  t.test('edit creates CDP off with the policy; list shows it with its identity filled in', async (t) => {
    const { backend } = await open(t)
    const results = await backend.edit(POLICY, [ref(DEMO.kenVolume), ref(DEMO.vol1)])
    t.same(codes(results), ['ok', 'ok'])
    t.match(results[0], { volume: { cluster_name: 'cluster_name_236', tenant_name: 'ken', volume_name: 'ken-vm-1-volume1-0' } })
    const list = await backend.list({ cluster_uuid: DEMO.cluster, tenant: DEMO.ken, page_num: 0, page_size: 10 })
    t.equal(list.TotalCount, 2)
    t.same(list.List.map((i) => [i.volume_name, i.cdp_state, i.reserve_capacity, i.reserve_duration, i.vm_name]),
      [['ken-vm-1-volume1-0', 'off', 32212254720n, 86400n, 'ken-vm-1'], ['vol-1', 'off', 32212254720n, 86400n, '']])
    t.same(list.each_range_list_state.map((r) => [r.namespace_uuid, r.total_count, r.error]), [[DEMO.namespace, 2, undefined]])
  })

  t.test('a batch reports each volume on its own, in request order', async (t) => {
    const { backend } = await open(t)
    const missing = '00000000-0000-4000-8000-000000000000'
    const results = await backend.enable([ref(DEMO.vol1), ref(missing), ref(DEMO.linVolume, DEMO.ken), ref(DEMO.cdp1)])
    t.same(codes(results), ['ok', 'VOLUME_NOT_FOUND', 'VOLUME_NOT_FOUND', 'ok'])
    t.same(results.map((r) => r.volume.volume_uuid), [DEMO.vol1, missing, DEMO.linVolume, DEMO.cdp1])
  })

  t.test('an unknown cluster, volume or CDP is named as such', async (t) => {
    const { backend } = await open(t)
    t.equal(await failure(() => backend.info({ cluster_uuid: '00000000-0000-4000-8000-000000000001', volume_uuid: DEMO.vol1 })), 'CLUSTER_NOT_FOUND')
    t.equal(await failure(() => backend.info(ref('00000000-0000-4000-8000-000000000002'))), 'VOLUME_NOT_FOUND')
    t.equal(await failure(() => backend.info(ref(DEMO.vol1))), 'CDP_NOT_FOUND')
    t.equal(await failure(() => backend.info(ref(DEMO.vol1, DEMO.lin))), 'VOLUME_NOT_FOUND')
  })

  t.test('enable opens segment 0 with an auto snapshot; writes and time add use and snapshots', async (t) => {
    const subject = await open(t)
    const times = await history(subject)
    const info = await subject.backend.info(ref(DEMO.cdp1))
    t.equal(info.cdp_info.length, 1)
    const [segment] = info.cdp_info
    t.equal(segment?.seq, 0n)
    t.equal(segment?.use, 3n * 8192n)
    t.equal(segment?.ioStartTime, times[0])
    t.equal(segment?.ioLastTime, times[2])
    t.equal(segment?.usd_path, '/dev/sdd')
    t.ok((segment?.snaps.length ?? 0) >= 3)
    for (const snap of segment?.snaps ?? []) t.equal(snap.name, `CDP-auto-${snap.time / SECOND}`)
    t.equal(info.host_uuid, '')
  })

  t.test('a view at an exact ns time exposes that image, once, until turned off', async (t) => {
    const subject = await open(t)
    const { backend, control } = subject
    const times = await history(subject)
    const at = (times[1] as bigint) + 1n
    const point = await pointAt(backend, ref(DEMO.cdp1), at)
    t.same(await backend.viewOn(ref(DEMO.cdp1), point), { host_uuid: DEMO.host1 })
    t.equal((await control.viewImage(DEMO.cdp1)).digest, (await control.image(DEMO.cdp1, at)).digest)
    t.not((await control.viewImage(DEMO.cdp1)).digest, (await control.image(DEMO.cdp1)).digest)
    t.equal((await backend.info(ref(DEMO.cdp1))).host_uuid, DEMO.host1)
    t.equal(await failure(() => backend.viewOn(ref(DEMO.cdp1), point)), 'VIEW_ALREADY_ON')
    await backend.viewOff(ref(DEMO.cdp1))
    t.equal(await failure(() => backend.viewOff(ref(DEMO.cdp1))), 'VIEW_NOT_FOUND')
    t.equal(await failure(() => backend.viewOn(ref(DEMO.cdp1), { ...point, snapshot_name: 'CDP-auto-1' })), 'SNAPSHOT_NOT_FOUND')
  })

  t.test('revert restores the image of the point, and a later revert undoes it', async (t) => {
    const subject = await open(t)
    const { backend, control } = subject
    const times = await history(subject)
    const before = await control.image(DEMO.cdp1)
    const target = times[0] as bigint
    await backend.revert(ref(DEMO.cdp1), await pointAt(backend, ref(DEMO.cdp1), target))
    t.equal((await control.image(DEMO.cdp1)).digest, (await control.image(DEMO.cdp1, target)).digest)
    const revertedAt = await control.advance(SECOND)
    await backend.revert(ref(DEMO.cdp1), await pointAt(backend, ref(DEMO.cdp1), revertedAt - 2n * SECOND))
    t.equal((await control.image(DEMO.cdp1)).digest, before.digest)
  })

  t.test('revert is refused while a running VM uses the volume', async (t) => {
    const { backend, control } = await open(t)
    await backend.enable([ref(DEMO.kenVolume)])
    const time = await control.write(DEMO.kenVolume, [{ offset: 0, length: 4096, fill: 9 }])
    await control.advance(SECOND)
    const point = await pointAt(backend, ref(DEMO.kenVolume), time)
    t.equal(await failure(() => backend.revert(ref(DEMO.kenVolume), point)), 'VOLUME_IN_USE')
    await control.setVmRunning(DEMO.kenVm, false)
    t.equal(await failure(() => backend.revert(ref(DEMO.kenVolume), point)), 'no error')
  })

  t.test('clean: a closed segment by usd_seq (0 included), the whole CDP only once off', async (t) => {
    const subject = await open(t)
    const { backend } = subject
    await history(subject)
    t.equal(await failure(() => backend.clean(ref(DEMO.cdp1), 0n)), 'SEGMENT_ACTIVE')
    t.equal(await failure(() => backend.clean(ref(DEMO.cdp1))), 'CDP_IS_ON')
    await backend.disable([ref(DEMO.cdp1)])
    await backend.enable([ref(DEMO.cdp1)])
    await backend.clean(ref(DEMO.cdp1), 0n)
    t.same((await backend.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq), [1n])
    t.equal(await failure(() => backend.clean(ref(DEMO.cdp1), 0n)), 'SEGMENT_NOT_FOUND')
    await backend.disable([ref(DEMO.cdp1)])
    await backend.clean(ref(DEMO.cdp1))
    t.equal(await failure(() => backend.info(ref(DEMO.cdp1))), 'CDP_NOT_FOUND')
  })

  t.test('list pages from 0 in a stable order, filters, and counts the true total', async (t) => {
    const { backend } = await open(t)
    await backend.edit(POLICY, [ref(DEMO.cdp1), ref(DEMO.vol1), ref(DEMO.kenVolume), ref(DEMO.linVolume)])
    const page = async (num: number, size: number, filter?: string) => await backend.list({
      cluster_uuid: DEMO.cluster, page_num: num, page_size: size, ...(filter === undefined ? {} : { filter_name: filter })
    })
    const all = await page(0, 0)
    t.equal(all.TotalCount, 4)
    t.same(all.List.map((i) => i.volume_name), ['cdp-1', 'ken-vm-1-volume1-0', 'lin-vm-1-volume1-0', 'vol-1'])
    t.same((await page(1, 2)).List.map((i) => i.volume_name), ['lin-vm-1-volume1-0', 'vol-1'])
    const past = await page(5, 2)
    t.same([past.List.length, past.TotalCount], [0, 4])
    t.same((await page(0, 10, 'VM-1')).List.map((i) => i.volume_name), ['ken-vm-1-volume1-0', 'lin-vm-1-volume1-0'])
    t.same(all.each_range_list_state.map((r) => r.total_count).sort(), [1, 3])
  })

  t.test('filter_name matches by full case folding on NFKC text, names in code point order', async (t) => {
    const { backend } = await open(t, UNICODE_TOPOLOGY)
    await backend.edit(POLICY, UNICODE_VOLUMES.map((v) => ref(v.uuid)))
    const names = async (filter?: string) => (await backend.list({
      cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0, ...(filter === undefined ? {} : { filter_name: filter })
    })).List.map((i) => i.volume_name)
    // Binary order of the names as stored: capitals before small letters, then the rest of Unicode.
    t.same(await names(), ['Beta-vol', 'Straße-01', 'alpha-vol', 'beta-vol', 'cafe\u0301-nfd', 'ÉCOLE-vol', 'ΣΟΦΙΑ-disk', 'ＦＵＬＬwidth'])
    for (const [filter, found] of [
      ['ÉCOLE-vol', ['ÉCOLE-vol']], ['école', ['ÉCOLE-vol']], ['éc', ['ÉCOLE-vol']], ['ECOLE', []],
      ['ΣΟΦΙΑ-disk', ['ΣΟΦΙΑ-disk']], ['σοφια', ['ΣΟΦΙΑ-disk']], ['ΣΟΦΙΑ-DISK', ['ΣΟΦΙΑ-disk']],
      ['ＦＵＬＬwidth', ['ＦＵＬＬwidth']], ['full', ['ＦＵＬＬwidth']], ['ｆｕｌｌ', ['ＦＵＬＬwidth']], ['FULLWIDTH', ['ＦＵＬＬwidth']],
      ['café', ['cafe\u0301-nfd']], ['CAFÉ-NFD', ['cafe\u0301-nfd']], ['cafe-', []],
      ['STRASSE', ['Straße-01']], ['ß', ['Straße-01']], ['ẞE-0', ['Straße-01']],
      ['BETA', ['Beta-vol', 'beta-vol']], ['E1000000-0000-4000-8000-000000000007', ['alpha-vol']]
    ] as const) {
      t.same(await names(filter), found, `filter_name ${JSON.stringify(filter)}`)
    }
  })

  t.test('a reserve_duration above 2^63 travels exactly', async (t) => {
    const { backend } = await open(t)
    const huge = 2n ** 64n - 3n
    await backend.edit({ ...POLICY, reserve_duration: huge }, [ref(DEMO.vol1)])
    const list = await backend.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
    t.equal(list.List[0]?.reserve_duration, huge)
  })

  t.test('window: one range from the first snapshot to now, history against the policy, journal use', async (t) => {
    const subject = await open(t)
    await history(subject)
    const now = await subject.control.advance(0n)
    const first = await firstSnapshot(subject.backend)
    const window = await subject.backend.window(ref(DEMO.cdp1))
    const policy = (await subject.backend.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List.find((i) => i.volume_uuid === DEMO.cdp1)
    t.same(window.ranges, [{ from: first, to: now, seq: 0n }])
    t.same(window.gaps, [])
    const history180 = (now - first) / SECOND
    t.same([window.configured_seconds, window.actual_seconds, window.recoverable_seconds, window.on_seconds], [policy?.reserve_duration, history180, history180, history180])
    t.same([window.use, window.capacity], [3n * 8192n, policy?.reserve_capacity])
  })

  t.test('window names its gaps: CDP off between segments, a cleaned segment, an offline host', async (t) => {
    const subject = await open(t)
    const { backend, control } = subject
    await history(subject)
    const start = await firstSnapshot(backend)
    const offAt = await control.advance(0n)
    await backend.disable([ref(DEMO.cdp1)])
    await control.advance(60n * SECOND)
    await backend.enable([ref(DEMO.cdp1)])
    const onAt = offAt + 60n * SECOND
    await control.advance(60n * SECOND)
    const now = onAt + 60n * SECOND
    const window = await backend.window(ref(DEMO.cdp1))
    t.same(window.ranges, [{ from: start, to: offAt, seq: 0n }, { from: onAt, to: now, seq: 1n }])
    t.same(window.gaps, [{ from: offAt + 1n, to: onAt - 1n, reason: 'disabled' }])
    t.equal(window.on_seconds, 60n)
    await backend.clean(ref(DEMO.cdp1), 0n)
    t.same((await backend.window(ref(DEMO.cdp1))).gaps,
      [{ from: start, to: offAt, reason: 'cleaned' }, { from: offAt + 1n, to: onAt - 1n, reason: 'disabled' }])
    for (const host of [DEMO.host1, DEMO.host2]) await control.setHostOnline(host, false)
    const offline = await backend.window(ref(DEMO.cdp1))
    t.same(offline.ranges, [])
    t.same(offline.gaps.at(-1), { from: onAt, to: now, reason: 'host_offline' })
  })

  t.test('window: another tenant\'s volume is not found, a volume without CDP has none', async (t) => {
    const { backend } = await open(t)
    await backend.enable([ref(DEMO.cdp1)])
    t.equal(await failure(() => backend.window(ref(DEMO.cdp1, DEMO.lin))), 'VOLUME_NOT_FOUND')
    t.equal(await failure(() => backend.window(ref(DEMO.vol1))), 'CDP_NOT_FOUND')
  })

  t.test('events: what the history did, oldest first, with the points and policies named', async (t) => {
    const subject = await open(t)
    const { backend, control } = subject
    await history(subject)
    await backend.edit({ ...POLICY, reserve_duration: 100n }, [ref(DEMO.cdp1)])
    const point = await pointAt(backend, ref(DEMO.cdp1), await control.advance(0n))
    await backend.viewOn(ref(DEMO.cdp1), point)
    await backend.viewOff(ref(DEMO.cdp1))
    await backend.revert(ref(DEMO.cdp1), point)
    await backend.disable([ref(DEMO.cdp1)])
    const { total_count: total, events } = await backend.events(ref(DEMO.cdp1), { page_num: 0, page_size: 0 })
    t.equal(total, events.length)
    t.same(events.filter((e) => e.kind !== 'auto_snapshot').map((e) => e.kind),
      ['enabled', 'segment_opened', 'policy_changed', 'trimmed_by_duration', 'view_on', 'view_off', 'reverted', 'segment_closed', 'disabled'])
    // The snapshots still kept are those taken at or after the trim's new oldest point.
    const trim = events.find((e) => e.kind === 'trimmed_by_duration')
    const taken = events.filter((e) => e.kind === 'auto_snapshot').map((e) => e.to ?? 0n)
    t.same((await backend.info(ref(DEMO.cdp1))).cdp_info.flatMap((seg) => seg.snaps.map((snap) => snap.time)), taken.filter((time) => time >= (trim?.to ?? 0n)))
    t.match(events.find((e) => e.kind === 'policy_changed'), { old: { reserve_duration: 86400n }, new: { reserve_duration: 100n } })
    t.match(events.find((e) => e.kind === 'reverted'), { to: point.timestamp, seq: 0n })
    t.ok(events.every((e, i) => i === 0 || (events[i - 1]?.id ?? 0n) < e.id), 'ids rise')
    const since = events[3]?.time ?? 0n
    const later = await backend.events(ref(DEMO.cdp1), { since, page_num: 1, page_size: 2 })
    const after = events.filter((e) => e.time > since)
    t.same([later.total_count, later.events], [after.length, after.slice(2, 4)])
    t.equal(await failure(() => backend.events(ref(DEMO.cdp1, DEMO.lin), { page_num: 0, page_size: 0 })), 'VOLUME_NOT_FOUND')
  })

  t.test('events: a host going down and up, a segment cleaned, and the whole CDP cleaned, which they outlive', async (t) => {
    const subject = await open(t)
    const { backend, control } = subject
    await history(subject)
    await backend.disable([ref(DEMO.cdp1)])
    for (const host of [DEMO.host1, DEMO.host2]) await control.setHostOnline(host, false)
    for (const host of [DEMO.host1, DEMO.host2]) await control.setHostOnline(host, true)
    await backend.clean(ref(DEMO.cdp1), 0n)
    await backend.clean(ref(DEMO.cdp1))
    t.equal(await failure(() => backend.window(ref(DEMO.cdp1))), 'CDP_NOT_FOUND')
    const { events } = await backend.events(ref(DEMO.cdp1), { page_num: 0, page_size: 0 })
    const kinds = events.map((e) => e.kind).filter((kind) => kind !== 'auto_snapshot')
    t.same(kinds.slice(kinds.indexOf('disabled')), ['disabled', 'host_offline', 'host_online', 'segment_cleaned', 'cdp_cleaned'])
    t.match(events.find((e) => e.kind === 'segment_cleaned'), { seq: 0n })
  })

  t.test('protection: every CDP volume\'s standing by volume uuid, as its window decides it; at most `limit`, the rest counted', async (t) => {
    const subject = await open(t)
    const { backend } = subject
    await history(subject)
    await backend.edit(POLICY, [ref(DEMO.vol1)])
    const volumes = [DEMO.cdp1, DEMO.vol1].sort()
    const all = await backend.protection(10)
    const windows = await Promise.all(volumes.map(async (volume) => await backend.window(ref(volume))))
    t.same(all, { volumes: volumes.map((volume, i) => ({ volume_uuid: volume, ...pressureFacts(windows[i] as WindowFacts) })), omitted: 0, unanswered: 0 })
    t.same(await backend.protection(1), { volumes: all.volumes.slice(0, 1), omitted: 1, unanswered: 0 })
  })

  t.test('group revert by vm_uuid: every CDP disk at one time, each from its own base, at one ns; undone by a group revert to the ns before', async (t) => {
    const { backend, control } = await open(t, GROUP.topology)
    const disks = [ref(GROUP.data), ref(GROUP.log)]
    await backend.enable(disks)
    await control.advance(SECOND)
    const t0 = await control.write(GROUP.data, [{ offset: 0, length: 8192, fill: 1 }])
    await control.write(GROUP.log, [{ offset: 0, length: 4096, fill: 2 }])
    await control.advance(90n * SECOND)
    await control.write(GROUP.data, [{ offset: 0, length: 4096, fill: 3 }])
    await control.write(GROUP.log, [{ offset: 8192, length: 4096, fill: 4 }])
    const digests = async (at?: bigint) => await Promise.all([GROUP.data, GROUP.log].map(async (uuid) => (await control.image(uuid, at)).digest))
    const before = await digests()
    const members = await backend.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm })
    t.same(members.map((m) => m.volume_uuid), [GROUP.data, GROUP.log], 'the VM\'s CDP disks, not its scratch disk')
    const { time, outcomes } = await backend.groupRevert(members, t0)
    t.same(outcomes.map((o) => [o.ok, o.volume.volume_name]), [[true, 'ken-db-data'], [true, 'ken-db-log']])
    for (const [i, volume] of disks.entries()) t.equal(outcomes[i]?.snapshot_name, (await pointAt(backend, volume, t0)).snapshot_name)
    t.same(await digests(), await digests(t0))
    t.ok(time > t0, 'the group changed at one ns of its own')
    t.same((await backend.groupRevert(disks, time - 1n)).outcomes.map((o) => o.ok), [true, true])
    t.same(await digests(), before)
  })

  t.test('a group refusal changes nothing: each volume\'s own refusal, GROUP_NOT_APPLIED for the rest', async (t) => {
    const { backend, control } = await open(t, GROUP.topology)
    await backend.enable([ref(GROUP.data), ref(GROUP.log), ref(DEMO.kenVolume)])
    await control.advance(SECOND)
    const t0 = await control.write(GROUP.data, [{ offset: 0, length: 4096, fill: 1 }])
    await control.advance(SECOND)
    await control.write(GROUP.data, [{ offset: 0, length: 4096, fill: 2 }])
    const before = (await control.image(GROUP.data)).digest
    const missing = '00000000-0000-4000-8000-0000000000cc'
    const refused = await backend.groupRevert([ref(GROUP.data), ref(DEMO.kenVolume), ref(missing), ref(GROUP.log, DEMO.lin)], t0)
    t.same([refused.time, refused.outcomes.map((o) => o.ok ? 'ok' : o.error.code)], [0n, ['GROUP_NOT_APPLIED', 'VOLUME_IN_USE', 'VOLUME_NOT_FOUND', 'VOLUME_NOT_FOUND']])
    t.equal((await control.image(GROUP.data)).digest, before)
    const views = await backend.groupViewOn([ref(GROUP.data), ref(GROUP.log)], t0 - 2n * SECOND)
    t.same(views.outcomes.map((o) => o.ok ? 'ok' : o.error.code), ['POINT_NOT_RECOVERABLE', 'POINT_NOT_RECOVERABLE'])
    t.equal((await backend.info(ref(GROUP.data))).host_uuid, '', 'no view came on')
  })

  t.test('group view on exposes each volume at the one time; off removes them all at once', async (t) => {
    const { backend, control } = await open(t, GROUP.topology)
    const disks = [ref(GROUP.data), ref(GROUP.log)]
    await backend.enable(disks)
    await control.advance(SECOND)
    const t0 = await control.write(GROUP.data, [{ offset: 0, length: 4096, fill: 5 }])
    await control.write(GROUP.log, [{ offset: 0, length: 4096, fill: 6 }])
    await control.advance(SECOND)
    await control.write(GROUP.log, [{ offset: 0, length: 4096, fill: 7 }])
    const on = await backend.groupViewOn(disks, t0)
    t.same(on.outcomes.map((o) => [o.ok, o.host_uuid]), [[true, DEMO.host1], [true, DEMO.host1]])
    for (const uuid of [GROUP.data, GROUP.log]) t.equal((await control.viewImage(uuid)).digest, (await control.image(uuid, t0)).digest)
    t.same((await backend.groupViewOff([ref(GROUP.log)])).outcomes.map((o) => o.ok), [true])
    t.same((await backend.groupViewOff(disks)).outcomes.map((o) => o.ok ? 'ok' : o.error.code), ['GROUP_NOT_APPLIED', 'VIEW_NOT_FOUND'])
    t.equal((await backend.info(ref(GROUP.data))).host_uuid, DEMO.host1, 'the refused off left the data disk\'s view on')
  })

  t.test('changes: merged byte extents between two points, paged from a start; bad points are refused', async (t) => {
    const { backend, control } = await open(t)
    await backend.enable([ref(DEMO.cdp1)])
    const from = await control.write(DEMO.cdp1, [{ offset: 0, length: 4 * 4096, fill: 1 }])
    await control.advance(SECOND)
    await control.write(DEMO.cdp1, [{ offset: 8 * 4096, length: 2 * 4096, fill: 2 }, { offset: 4096, length: 2 * 4096, fill: 3 }])
    await control.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 4 }, { offset: 0, length: 4096, fill: 1 }])
    const to = await control.advance(SECOND)
    const page = async (start: bigint, limit: number, volume = ref(DEMO.cdp1)) => await backend.changes(volume, { from, to, start, limit })
    t.same(await page(0n, 10), { extents: [{ offset: 4096n, length: 8192n }, { offset: 32768n, length: 8192n }], next: null })
    const first = await page(0n, 1)
    t.same(first, { extents: [{ offset: 4096n, length: 8192n }], next: 32768n })
    t.same(await page(first.next ?? 0n, 1), { extents: [{ offset: 32768n, length: 8192n }], next: null })
    t.equal(await failure(() => backend.changes(ref(DEMO.cdp1), { from: to, to: from, start: 0n, limit: 1 })), 'CHANGES_FROM_AFTER_TO')
    t.equal(await failure(() => backend.changes(ref(DEMO.cdp1), { from: 1n, to, start: 0n, limit: 1 })), 'POINT_NOT_RECOVERABLE')
    t.equal(await failure(() => page(0n, 1, ref(DEMO.cdp1, DEMO.lin))), 'VOLUME_NOT_FOUND')
  })
}
