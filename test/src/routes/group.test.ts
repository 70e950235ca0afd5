// POST /group/view and /group/revert through the HTTP app: one timestamp for every volume,
// each from its own newest snapshot; all or nothing, in the batch shape; a group revert undone
// by a group revert to the ns before it; bad input refused before anything changes; tenancy.
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { Scode } from '../../../src/errors.js'
import { loadTopology } from '../../../simulator/index.js'
import { CDP, DEMO, SECOND, type Teardown, call, openTestApp, volume } from '../../helpers/app.js'
import { GROUP } from '../../helpers/group.js'

/** ken-db's data and log disks with CDP, written at t0 (data 1, log 2) and a minute later (data 3, log 4). */
async function twoDisks (t: Teardown) {
  const { app, sim } = await openTestApp(t, { topology: loadTopology(GROUP.topology), snapshotIntervalSeconds: 60 })
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(GROUP.data), volume(GROUP.log)] })
  sim.advance(SECOND)
  const t0 = sim.write(GROUP.data, [{ offset: 0, length: 8192, fill: 1 }]).time
  sim.write(GROUP.log, [{ offset: 0, length: 4096, fill: 2 }])
  sim.advance(60n * SECOND)
  sim.write(GROUP.data, [{ offset: 4096, length: 4096, fill: 3 }])
  sim.write(GROUP.log, [{ offset: 0, length: 4096, fill: 4 }])
  sim.advance(SECOND)
  return { app, sim, t0 }
}

const hasView = (sim: { viewFacts: (uuid: string) => unknown }, uuid: string): boolean => {
  try {
    sim.viewFacts(uuid)
    return true
  } catch {
    return false
  }
}

const digests = (sim: { image: (uuid: string, at?: bigint) => { digest: string } }, at?: bigint) =>
  [GROUP.data, GROUP.log].map((uuid) => sim.image(uuid, at).digest)

t.test('a group revert by vm_uuid rolls every CDP disk back to one time, each from its own base', async (t) => {
  const { app, sim, t0 } = await twoDisks(t)
  const before = digests(sim)
  const { status, body } = await call(app, 'POST', `${CDP}/group/revert`, { cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm, timestamp: t0 + 1n })
  t.equal(status, 200)
  t.same([body.scode, body.data.success, body.data.fail], [0, 2, 0])
  t.same(body.data.results.map((r: any) => [r.scode, r.data.volume_name]), [[0, 'ken-db-data'], [0, 'ken-db-log']], 'the VM\'s CDP disks, not its scratch disk')
  const bases = await Promise.all([GROUP.data, GROUP.log].map(async (uuid) =>
    (await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${uuid}`)).body.data.cdp_info[0].snaps
      .filter((s: any) => BigInt(s.time) <= t0 + 1n).at(-1).name))
  t.same(body.data.results.map((r: any) => r.data.snapshot_name), bases, 'each names its newest snapshot at or before the time')
  t.same(digests(sim), digests(sim, t0 + 1n))
  const time = BigInt(body.data.time)
  const undo = await call(app, 'POST', `${CDP}/group/revert`, { cluster_uuid: DEMO.cluster, volumes: [volume(GROUP.data), volume(GROUP.log)], timestamp: time - 1n })
  t.equal(undo.body.data.success, 2)
  t.same(digests(sim), before, 'a group revert to the ns before it undoes it')
})

t.test('one refusal changes nothing: its own scode, GROUP_NOT_APPLIED for the others', async (t) => {
  const { app, sim, t0 } = await twoDisks(t)
  const before = digests(sim)
  const viewOn = await call(app, 'POST', `${CDP}/group/view`, { cluster_uuid: DEMO.cluster, volumes: [volume(GROUP.log)], op: 'on', timestamp: t0 })
  t.equal(viewOn.body.data.success, 1)
  const missing = '00000000-0000-4000-8000-0000000000aa'
  const { status, body } = await call(app, 'POST', `${CDP}/group/revert`, {
    cluster_uuid: DEMO.cluster, volumes: [volume(GROUP.data), volume(GROUP.log), volume(missing), volume(GROUP.scratch)], timestamp: t0
  })
  t.equal(status, 200)
  t.same([body.data.success, body.data.fail, body.data.time], [0, 4, 0])
  t.same(body.data.results.map((r: any) => r.scode),
    [Scode.GROUP_NOT_APPLIED.scode, Scode.VIEW_IS_ON.scode, Scode.VOLUME_NOT_FOUND.scode, Scode.CDP_NOT_FOUND.scode])
  t.same(body.data.results.map((r: any) => r.data.volume_uuid), [GROUP.data, GROUP.log, missing, GROUP.scratch])
  t.not(body.data.results[0].data.snapshot_name, '', 'a volume that would have changed still names its base')
  t.same(digests(sim), before)
})

t.test('group view on exposes every volume at the time; off removes them all; a time outside one window refuses all', async (t) => {
  const { app, sim, t0 } = await twoDisks(t)
  const group = { cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm }
  const early = await call(app, 'POST', `${CDP}/group/view`, { ...group, op: 'on', timestamp: 1n })
  t.same(early.body.data.results.map((r: any) => r.scode), [Scode.POINT_NOT_RECOVERABLE.scode, Scode.POINT_NOT_RECOVERABLE.scode])
  t.same(sim.volumes().filter((v) => hasView(sim, v.uuid)).length, 0)
  const on = await call(app, 'POST', `${CDP}/group/view`, { ...group, op: 'on', timestamp: t0 })
  t.same(on.body.data.results.map((r: any) => [r.scode, r.data.host_uuid]), [[0, DEMO.host1], [0, DEMO.host1]])
  t.same([GROUP.data, GROUP.log].map((uuid) => sim.viewImage(uuid).digest), digests(sim, t0))
  const again = await call(app, 'POST', `${CDP}/group/view`, { ...group, op: 'on', timestamp: t0 })
  t.same(again.body.data.results.map((r: any) => r.scode), [Scode.VIEW_ALREADY_ON.scode, Scode.VIEW_ALREADY_ON.scode])
  const off = await call(app, 'POST', `${CDP}/group/view`, { ...group, op: 'off', timestamp: 'ignored when off' })
  t.same([off.status, off.body.data.success], [200, 2])
  const offAgain = await call(app, 'POST', `${CDP}/group/view`, { ...group, op: 'off' })
  t.same(offAgain.body.data.results.map((r: any) => r.scode), [Scode.VIEW_NOT_FOUND.scode, Scode.VIEW_NOT_FOUND.scode])
})

t.test('bad groups are refused whole, with a clear envelope, before anything changes', async (t) => {
  const { app, sim, t0 } = await twoDisks(t)
  const before = digests(sim)
  const revert = async (body: Record<string, unknown>) => await call(app, 'POST', `${CDP}/group/revert`, { cluster_uuid: DEMO.cluster, timestamp: t0, ...body })
  const other = '00000000-0000-4000-8000-0000000000bb'
  for (const [body, status, scode] of [
    [{}, 400, Scode.GROUP_NEEDS_MEMBERS],
    [{ vm_uuid: GROUP.vm, volumes: [volume(GROUP.data)] }, 400, Scode.GROUP_NEEDS_MEMBERS],
    [{ volumes: [volume(GROUP.data), volume(GROUP.data.toUpperCase())] }, 400, Scode.GROUP_MEMBER_MISMATCH],
    [{ volumes: [{ cluster_uuid: other, volume_uuid: GROUP.data }] }, 400, Scode.GROUP_MEMBER_MISMATCH],
    [{ tenant: DEMO.ken, volumes: [volume(GROUP.data, { tenant: DEMO.lin })] }, 400, Scode.GROUP_MEMBER_MISMATCH],
    [{ volumes: [] }, 400, Scode.INVALID_PARAMETER],
    [{ vm_uuid: GROUP.vm, timestamp: 'soon' }, 400, Scode.INVALID_UINT64],
    [{ vm_uuid: GROUP.vm, timestamp: 2n ** 64n }, 400, Scode.INVALID_UINT64],
    [{ vm_uuid: other }, 404, Scode.VM_NOT_FOUND],
    [{ vm_uuid: GROUP.vm, tenant: DEMO.lin }, 404, Scode.VM_NOT_FOUND],
    [{ vm_uuid: DEMO.kenVm }, 404, Scode.CDP_NOT_FOUND],
    [{ cluster_uuid: other, vm_uuid: GROUP.vm }, 404, Scode.CLUSTER_NOT_FOUND]
  ] as const) {
    const answer = await revert(body)
    t.match(answer, { status, body: { scode: scode.scode, data: null } }, JSON.stringify(body, (_k, v) => typeof v === 'bigint' ? `${v}n` : v))
  }
  t.match(await call(app, 'POST', `${CDP}/group/view`, { cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm, op: 'on' }),
    { status: 400, body: { scode: Scode.MISSING_PARAMETER.scode } })
  t.same(digests(sim), before)
})

t.test('a typed client\'s unused fields (vm_uuid "", volumes null or [] beside vm_uuid) are absent', async (t) => {
  const revert = async (body: Record<string, unknown>) => {
    const { app, t0 } = await twoDisks(t)
    return await call(app, 'POST', `${CDP}/group/revert`, { cluster_uuid: DEMO.cluster, timestamp: t0, tenant: '', ...body })
  }
  const byVm = await revert({ vm_uuid: GROUP.vm })
  t.equal(byVm.body.scode, 0, 'the group revert by VM succeeds')
  t.strictSame(await revert({ vm_uuid: GROUP.vm, volumes: null }), byVm, 'volumes null')
  t.strictSame(await revert({ vm_uuid: GROUP.vm, volumes: [] }), byVm, 'volumes []')
  const listed = { volumes: [volume(GROUP.data, { tenant: '' }), volume(GROUP.log, { tenant: '' })] }
  const byVolumes = await revert(listed)
  t.equal(byVolumes.body.scode, 0, 'the group revert by volumes succeeds')
  t.strictSame(await revert({ ...listed, vm_uuid: '' }), byVolumes, 'vm_uuid ""')
  t.match(await revert({ vm_uuid: '', volumes: null }), { status: 400, body: { scode: Scode.GROUP_NEEDS_MEMBERS.scode } }, 'both unused: no members')
})

t.test('a tenant token reaches only its own VM\'s volumes', async (t) => {
  const { sim, t0 } = await twoDisks(t)
  const app = await buildApp({ backend: sim, tokens: [{ token: 'lin-token-0123456789abc', tenant: DEMO.lin }, { token: 'ken-token-0123456789abc', tenant: DEMO.ken }] })
  t.teardown(() => app.close())
  const revert = async (token: string) => await app.inject({
    method: 'POST', url: `${CDP}/group/revert`, headers: { authorization: `Bearer ${token}` }, payload: { cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm, timestamp: String(t0) }
  })
  t.equal(JSON.parse((await revert('lin-token-0123456789abc')).body).scode, Scode.VM_NOT_FOUND.scode)
  t.equal(JSON.parse((await revert('ken-token-0123456789abc')).body).data.success, 2)
})
