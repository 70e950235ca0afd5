// Policy, admission and tenancy: edit, enable's defaults, reservations on CDP disks, and who
// may name which volume.
import t from 'tap'
import { DEFAULTS } from '../../simulator/index.js'
import type { BatchOutcome } from '../../src/backend/port.js'
import { eventsOfKind, failure, openDemo, outcomes, policy, ref } from '../helpers/simulator.js'
import { DEMO, demoTopology } from '../helpers/demo.js'

const TIB = 1024n ** 4n

t.test('edit on a volume without CDP creates it off with the given policy', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.edit(policy(5n * 1024n ** 3n, 3600n, 'high'), [ref(DEMO.vol1)])), ['ok'])
  const { List } = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.equal(List.length, 1)
  t.match(List[0], {
    volume_uuid: DEMO.vol1,
    volume_name: 'vol-1',
    cdp_state: 'off',
    cdp_priority: 'high',
    reserve_capacity: 5n * 1024n ** 3n,
    reserve_duration: 3600n,
    cdp_create_time: Number(DEFAULTS.manualClockStart / 1_000_000_000n)
  })
  t.same((await sim.info(ref(DEMO.vol1))).cdp_info, [], 'an off CDP has no journal yet')
})

t.test('edit on a volume with CDP changes its policy and keeps its state', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.vol1)])
  t.same(outcomes(await sim.edit(policy(1024n ** 3n, 60n, 'low'), [ref(DEMO.vol1)])), ['ok'])
  const [item] = (await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List
  t.match(item, { cdp_state: 'on', cdp_priority: 'low', reserve_capacity: 1024n ** 3n, reserve_duration: 60n })
})

t.test('enable on a volume without CDP creates it with the default policy, on', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.enable([ref(DEMO.cdp1)])), ['ok'])
  const [item] = (await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List
  t.match(item, {
    volume_uuid: DEMO.cdp1,
    cdp_state: 'on',
    cdp_priority: DEFAULTS.policy.cdp_priority,
    reserve_capacity: DEFAULTS.policy.reserve_capacity,
    reserve_duration: DEFAULTS.policy.reserve_duration
  })
})

t.test('a batch reports each volume on its own: one failure does not stop the others', async (t) => {
  const sim = openDemo(t)
  const missing = { cluster_uuid: DEMO.cluster, volume_uuid: '00000000-0000-4000-8000-000000000000' }
  const results = await sim.edit(policy(TIB, 60n), [ref(DEMO.vol1), missing, ref(DEMO.cdp1)])
  t.same(outcomes(results), ['ok', 'VOLUME_NOT_FOUND', 'ok'])
  t.equal(results[1]?.volume.volume_uuid, missing.volume_uuid, 'a failure still names the volume')
  t.equal(results[0]?.volume.volume_name, 'vol-1', 'a success carries the identity from the cluster')
})

t.test('admission: a reserve_capacity above every disk\'s free room is refused and nothing changes', async (t) => {
  const sim = openDemo(t)
  // The demo's disks hold 2 TiB and 1 TiB.
  t.same(outcomes(await sim.edit(policy(3n * TIB, 60n), [ref(DEMO.vol1)])), ['INSUFFICIENT_CDP_CAPACITY'])
  t.same((await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List, [], 'no CDP was created')
  t.equal(await failure(() => sim.info(ref(DEMO.vol1))), 'CDP_NOT_FOUND')
})

t.test('admission: reservations add up per disk, and the next volume goes to the disk with room', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.edit(policy(2n * TIB, 60n), [ref(DEMO.vol1)])), ['ok'], 'fills the 2 TiB disk')
  t.same(outcomes(await sim.edit(policy(TIB, 60n), [ref(DEMO.cdp1)])), ['ok'], 'fits the 1 TiB disk')
  t.same(outcomes(await sim.edit(policy(4096n, 60n), [ref(DEMO.kenVolume)])), ['INSUFFICIENT_CDP_CAPACITY'], 'both disks are full, even for one block')
})

t.test('admission: raising a reservation past its disk\'s room is refused and the old policy stays', async (t) => {
  const sim = openDemo(t)
  await sim.edit(policy(TIB, 60n), [ref(DEMO.vol1)])
  t.same(outcomes(await sim.edit(policy(2n * TIB + 1n, 120n, 'high'), [ref(DEMO.vol1)])), ['INSUFFICIENT_CDP_CAPACITY'])
  const [item] = (await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List
  t.match(item, { reserve_capacity: TIB, reserve_duration: 60n, cdp_priority: 'mid' })
})

t.test('tenancy: another tenant\'s volume is not found, for batches and single calls alike', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.enable([ref(DEMO.vol1, DEMO.lin)])), ['VOLUME_NOT_FOUND'])
  t.same(outcomes(await sim.enable([ref(DEMO.linData, DEMO.lin)])), ['ok'], 'the owner may')
  t.equal(await failure(() => sim.info(ref(DEMO.linData, DEMO.ken))), 'VOLUME_NOT_FOUND')
  t.equal(await failure(() => sim.clean(ref(DEMO.linData, DEMO.ken))), 'VOLUME_NOT_FOUND')
  t.same((await sim.info(ref(DEMO.linData, DEMO.lin.toUpperCase()))).cdp_info.length, 1, 'uuids compare case-insensitively')
})

t.test('tenancy: an unknown cluster is CLUSTER_NOT_FOUND, an unknown volume VOLUME_NOT_FOUND', async (t) => {
  const sim = openDemo(t)
  const otherCluster = '11111111-2222-4333-8444-555555555555'
  t.same(outcomes(await sim.enable([{ cluster_uuid: otherCluster, volume_uuid: DEMO.vol1 }])), ['CLUSTER_NOT_FOUND'])
  t.equal(await failure(() => sim.list({ cluster_uuid: otherCluster, page_num: 0, page_size: 0 })), 'CLUSTER_NOT_FOUND')
  t.equal(await failure(() => sim.info({ cluster_uuid: otherCluster, volume_uuid: DEMO.vol1 })), 'CLUSTER_NOT_FOUND')
  t.same(outcomes(await sim.disable([ref('00000000-0000-4000-8000-000000000000')])), ['VOLUME_NOT_FOUND'])
})

t.test('disable on a volume without CDP is CDP_NOT_FOUND', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.disable([ref(DEMO.vol1)])), ['CDP_NOT_FOUND'])
})

t.test('a uint64 reserve_duration above 2^63 round-trips exactly through list', async (t) => {
  const sim = openDemo(t)
  const huge = (1n << 64n) - 3n
  t.same(outcomes(await sim.edit(policy(TIB, huge), [ref(DEMO.vol1)])), ['ok'])
  await sim.enable([ref(DEMO.vol1)])
  sim.advance(5n)
  const [item] = (await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List
  t.equal(item?.reserve_duration, huge)
  t.equal(sim.recoverable(DEMO.vol1).ranges.length, 1, 'a duration beyond any clock keeps everything')
})

t.test('a re-edit that changes only the priority of a CDP filling its disk is accepted', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.edit(policy(2n * TIB, 60n), [ref(DEMO.vol1)])), ['ok'], 'fills the 2 TiB disk exactly')
  t.same(outcomes(await sim.edit(policy(2n * TIB, 60n, 'high'), [ref(DEMO.vol1)])), ['ok'], 'the same reservation needs no more room')
  const [item] = (await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List
  t.match(item, { cdp_priority: 'high', reserve_capacity: 2n * TIB, reserve_duration: 60n })
  t.same(outcomes(await sim.edit(policy(2n * TIB + 1n, 60n, 'high'), [ref(DEMO.vol1)])), ['INSUFFICIENT_CDP_CAPACITY'], 'one byte more does not fit')
})

t.test('minimums: a reserve_capacity below one block or a reserve_duration of 0 is refused and changes nothing', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.edit(policy(4095n, 60n), [ref(DEMO.vol1)])), ['RESERVE_CAPACITY_TOO_SMALL'])
  t.same(outcomes(await sim.edit(policy(4096n, 0n), [ref(DEMO.vol1)])), ['RESERVE_DURATION_TOO_SHORT'])
  t.equal(await failure(() => sim.info(ref(DEMO.vol1))), 'CDP_NOT_FOUND', 'no CDP was created')
  t.same(outcomes(await sim.edit(policy(4096n, 1n), [ref(DEMO.vol1)])), ['ok'], 'one block and one second are enough')
  t.same(outcomes(await sim.edit(policy(0n, 60n), [ref(DEMO.vol1)])), ['RESERVE_CAPACITY_TOO_SMALL'])
  const [item] = (await sim.list({ cluster_uuid: DEMO.cluster, filter_name: DEMO.vol1, page_num: 0, page_size: 0 })).List
  t.match(item, { reserve_capacity: 4096n, reserve_duration: 1n }, 'the old policy stays')
})

/** The desc of each refused outcome, 'ok' for a success. */
function descs (results: BatchOutcome[]): string[] {
  return results.map((r) => r.ok ? 'ok' : r.error.desc)
}

t.test('each refusal of a policy says what it refused', async (t) => {
  const sim = openDemo(t)
  t.same(descs(await sim.edit(policy(4095n, 60n), [ref(DEMO.vol1)])), ['reserve_capacity 4095 is below one block (4096 bytes)'])
  t.same(descs(await sim.edit(policy(4096n, 0n), [ref(DEMO.vol1)])), ['reserve_duration 0'])
  t.same(descs(await sim.edit(policy(3n * TIB, 60n), [ref(DEMO.vol1)])), [`reserve_capacity ${3n * TIB} does not fit on any CDP disk`])
})

t.test('a policy change is an event of the volume with the old policy and the new', async (t) => {
  const sim = openDemo(t)
  await sim.edit(policy(TIB, 60n), [ref(DEMO.vol1)])
  const changedAt = sim.advance(7n)
  await sim.edit(policy(2n * TIB, 120n, 'high'), [ref(DEMO.vol1)])
  const events = await eventsOfKind(sim, DEMO.vol1, 'policy_changed')
  t.same(events.map((e) => [e.time, e.old, e.new]), [[changedAt, policy(TIB, 60n), policy(2n * TIB, 120n, 'high')]])
})

t.test('clean of a whole CDP gives its reservation back to its disk', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.edit(policy(2n * TIB, 60n), [ref(DEMO.vol1)])), ['ok'], 'fills the 2 TiB disk')
  t.same(outcomes(await sim.edit(policy(TIB + 1n, 60n), [ref(DEMO.cdp1)])), ['INSUFFICIENT_CDP_CAPACITY'])
  await sim.clean(ref(DEMO.vol1))
  t.same(outcomes(await sim.edit(policy(2n * TIB, 60n), [ref(DEMO.cdp1)])), ['ok'], 'the 2 TiB disk is free again')
})

t.test('clean of a quota tenant\'s CDP gives its reservation back to the share only: what others may reserve stays', async (t) => {
  // ken's 1 TiB quota is set aside on the 2 TiB disk: others have 1 TiB on each disk.
  const topology = { ...demoTopology, tenants: demoTopology.tenants.map((x) => x.uuid === DEMO.ken ? { ...x, cdp_quota: Number(TIB) } : x) }
  const sim = openDemo(t, { topology })
  t.same(outcomes(await sim.edit(policy(TIB, 60n), [ref(DEMO.vol1, DEMO.ken)])), ['ok'])
  await sim.clean(ref(DEMO.vol1, DEMO.ken))
  t.same(outcomes(await sim.edit(policy(TIB + 1n, 60n), [ref(DEMO.linData, DEMO.lin)])), ['INSUFFICIENT_CDP_CAPACITY'], 'the set-aside 1 TiB is still not lin\'s')
  t.same(outcomes(await sim.edit(policy(TIB, 60n), [ref(DEMO.cdp1, DEMO.ken)])), ['ok'], 'ken has its whole quota again')
})

t.test('a new CDP with no online, healthy CDP disk in its cluster is INSUFFICIENT_CDP_CAPACITY', async (t) => {
  const sim = openDemo(t)
  sim.setHostOnline(DEMO.host1, false)
  sim.setHostOnline(DEMO.host2, false)
  t.same(descs(await sim.edit(policy(4096n, 60n), [ref(DEMO.vol1)])), ['reserve_capacity 4096 does not fit on any CDP disk'])
  t.equal(await failure(() => sim.info(ref(DEMO.vol1))), 'CDP_NOT_FOUND')
})
