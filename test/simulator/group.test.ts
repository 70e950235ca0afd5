// Consistency groups are all or nothing. A property over random groups and random refusals
// (a point before a volume's CDP, a view on, a running VM, a host offline, a volume missing
// or without CDP): either every volume changed to the point, or none changed at all and the
// answer names each refusal. And a reader on a second connection to the database of a
// `cdp-sim agent` process, reading while group reverts and views run there, never sees a
// group half changed.
import Database from 'better-sqlite3'
import fc from 'fast-check'
import { join } from 'node:path'
import t from 'tap'
import { createAgentBackend } from '../../src/backend/agent/backend.js'
import type { CdpBackend, GroupResult, VolumeRef } from '../../src/backend/port.js'
import { type ScodeName } from '../../src/errors.js'
import { applyToGroup } from '../../simulator/group.js'
import { loadTopology, openSimulator } from '../../simulator/index.js'
import { openDatabase } from '../../simulator/schema.js'
import { sqlOver } from '../../simulator/sql.js'
import { httpControl } from '../src/backend/conformance/control.js'
import { DEMO, SECOND, openTestApp } from '../helpers/app.js'
import { startAgent, tempDir } from '../helpers/cdp-sim.js'
import { GROUP } from '../helpers/group.js'

const ref = (uuid: string): VolumeRef => ({ cluster_uuid: DEMO.cluster, volume_uuid: uuid })
const MISSING = '00000000-0000-4000-8000-0000000000dd'
/** Volumes a group may hold: four that can change, and three that always refuse. */
const CHANGEABLE: string[] = [GROUP.data, GROUP.log, DEMO.cdp1, DEMO.vol1]
const codes = (result: GroupResult) => result.outcomes.map((o) => o.ok ? 'ok' : o.error.code)

const volumeState = fc.record({ late: fc.boolean(), view: fc.boolean() }, { requiredKeys: [] })
const scenario = fc.record({
  states: fc.tuple(volumeState, volumeState, volumeState, volumeState),
  members: fc.subarray([0, 1, 2, 3], { minLength: 1 }),
  refusers: fc.subarray(['inUse', 'missing', 'noCdp'] as const),
  hostOffline: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  op: fc.constantFrom('revert', 'view' as const)
})

const seed = Number(process.env.GROUP_SEED ?? Math.floor(Math.random() * 2 ** 31))

t.test(`a group changes every volume to the point or none (seed ${seed}, GROUP_SEED=${seed} replays)`, async (t) => {
  const { sim } = await openTestApp(t, { topology: loadTopology(GROUP.topology), snapshotIntervalSeconds: 60 })
  const snapshot = () => [...CHANGEABLE, DEMO.kenVolume].map((uuid) => {
    let view = 'none'
    try { view = String(sim.viewFacts(uuid).time) } catch {}
    return `${sim.image(uuid).digest}/${view}`
  })
  await t.resolves(fc.assert(fc.asyncProperty(scenario, async ({ states, members, refusers, hostOffline, op }) => {
    sim.reset(loadTopology(GROUP.topology))
    const late = CHANGEABLE.filter((_, i) => states[i]?.late === true)
    await sim.enable([...CHANGEABLE.filter((uuid) => !late.includes(uuid)), DEMO.kenVolume].map(ref))
    sim.advance(SECOND)
    for (const [i, uuid] of [...CHANGEABLE, DEMO.kenVolume].entries()) sim.write(uuid, [{ offset: 0, length: 4096, fill: i + 1 }])
    const point = sim.advance(SECOND)
    for (const [i, uuid] of [...CHANGEABLE, DEMO.kenVolume].entries()) sim.write(uuid, [{ offset: 0, length: 8192, fill: i + 20 }])
    sim.advance(SECOND)
    await sim.enable(late.map(ref))
    sim.advance(SECOND)
    const viewed = CHANGEABLE.filter((_, i) => states[i]?.view === true)
    if (viewed.length > 0) t.same(codes(await sim.groupViewOn(viewed.map(ref), sim.advance(0n))), viewed.map(() => 'ok'))
    if (hostOffline) sim.setHostOnline(DEMO.host1, false)
    const group = [
      ...members.map((i) => CHANGEABLE[i] as string),
      ...refusers.map((r) => ({ inUse: DEMO.kenVolume, missing: MISSING, noCdp: GROUP.scratch })[r])
    ]
    // Each volume's own refusal, in the order the rules check them: the point, then the operation's.
    const expected = group.map((uuid): ScodeName | 'ok' => {
      if (uuid === MISSING) return 'VOLUME_NOT_FOUND'
      if (uuid === GROUP.scratch) return 'CDP_NOT_FOUND'
      if (hostOffline || late.includes(uuid)) return 'POINT_NOT_RECOVERABLE'
      if (op === 'revert' && uuid === DEMO.kenVolume) return 'VOLUME_IN_USE'
      if (viewed.includes(uuid)) return op === 'revert' ? 'VIEW_IS_ON' : 'VIEW_ALREADY_ON'
      return 'ok'
    })
    const before = snapshot()
    const result = op === 'revert' ? await sim.groupRevert(group.map(ref), point) : await sim.groupViewOn(group.map(ref), point)
    if (expected.every((code) => code === 'ok')) {
      if (codes(result).some((code) => code !== 'ok')) throw new Error(`refused: ${codes(result).join(', ')}`)
      for (const uuid of group) {
        const now = op === 'revert' ? sim.image(uuid).digest : sim.viewImage(uuid).digest
        if (now !== sim.image(uuid, point).digest) throw new Error(`${uuid} is not at the point`)
      }
      return
    }
    const named = expected.map((code) => code === 'ok' ? 'GROUP_NOT_APPLIED' : code)
    if (JSON.stringify(codes(result)) !== JSON.stringify(named)) throw new Error(`answered ${codes(result).join(', ')}, expected ${named.join(', ')}`)
    if (result.time !== 0n) throw new Error('a refused group reports a time')
    if (JSON.stringify(snapshot()) !== JSON.stringify(before)) throw new Error('a refused group changed something')
  }), { seed, numRuns: 60 }))
})

/** Blocks written per volume at each point: enough that one volume's revert takes a while. */
const BLOCKS = 512

t.test('a reader on a second connection never sees a group half changed, while another process changes it', async (t) => {
  const dir = tempDir(t, 'cdp-group-')
  const db = join(dir, 'state.db')
  const agent = await startAgent(t, ['--clock', 'manual', '--snapshot-interval', '60', '--topology', GROUP.topology, '--db', db])
  const backend: CdpBackend = createAgentBackend({ routes: [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }], timeoutMs: 30_000, retries: 0, concurrency: 2 })
  t.teardown(() => backend.close())
  const control = httpControl(agent.url)
  const disks = [ref(GROUP.data), ref(GROUP.log)]
  await backend.enable(disks)
  await control.advance(SECOND)
  const points: bigint[] = []
  for (const fill of [1, 2]) {
    for (const disk of disks) await control.write(disk.volume_uuid, [{ offset: 0, length: BLOCKS * 4096, fill: fill * 10 + disks.indexOf(disk) }])
    points.push(await control.advance(SECOND))
  }

  const reader = new Database(db, { readonly: true })
  t.teardown(() => reader.close())
  reader.pragma('busy_timeout = 5000')
  // One statement, so one snapshot of the file: each disk's content and whether it has a view.
  const read = reader.prepare(`SELECT v.uuid, (SELECT group_concat(l.token) FROM live_block l WHERE l.volume_id = v.id) AS content,
    EXISTS (SELECT 1 FROM view w WHERE w.volume_id = v.id) AS viewed FROM volume v WHERE v.uuid IN (?, ?) ORDER BY v.uuid`)
  const state = () => read.all(GROUP.data, GROUP.log) as Array<{ content: string, viewed: number }>
  // Each disk's contents the reader may meet, in the order they appear: a read that finds the
  // disks in different ones (or one in a content not yet listed and one in a listed one) saw
  // half a revert.
  const contents: string[][] = [state().map((d) => d.content)]
  let reads = 0
  /** Reads the file over and over until `call` is answered; each read must show the group whole, its views in one of `views`. */
  const watching = async (call: Promise<GroupResult>, views: string[]): Promise<string[]> => {
    const answering = { done: false }
    const answered = call.finally(() => { answering.done = true })
    while (!answering.done) {
      const disks = state()
      const phases = new Set(disks.map((d, i) => contents.findIndex((c) => c[i] === d.content)))
      const viewed = disks.map((d) => d.viewed).join('')
      reads++
      if (phases.size !== 1 || !views.includes(viewed)) throw new Error(`a read saw the group half changed: contents ${[...phases].join(' ')}, views ${viewed}`)
      await new Promise((resolve) => setImmediate(resolve))
    }
    return codes(await answered)
  }
  t.same(await watching(backend.groupRevert(disks, points[0] as bigint), ['00']), ['ok', 'ok'])
  contents.push(state().map((d) => d.content))
  for (let round = 0; round < 8; round++) {
    const to = points[round % 2 === 0 ? 1 : 0] as bigint
    t.same(await watching(backend.groupRevert(disks, to), ['00']), ['ok', 'ok'], `revert ${round}`)
    t.same(await watching(backend.groupViewOn(disks, to), ['00', '11']), ['ok', 'ok'], `view on ${round}`)
    const before = state()
    t.same(await watching(backend.groupRevert(disks, points[0] as bigint), ['11']), ['VIEW_IS_ON', 'VIEW_IS_ON'], `refused ${round}`)
    t.same(await watching(backend.groupViewOff(disks.slice(0, 1)), ['11', '01']), ['ok'])
    t.same(await watching(backend.groupRevert(disks, points[0] as bigint), ['01']), ['GROUP_NOT_APPLIED', 'VIEW_IS_ON'], `one view refuses all ${round}`)
    t.same(state().map((d) => d.content), before.map((d) => d.content), 'the refused reverts changed nothing')
    t.same(await watching(backend.groupViewOff(disks), ['01']), ['VIEW_NOT_FOUND', 'GROUP_NOT_APPLIED'])
    t.same(await watching(backend.groupViewOff(disks.slice(1)), ['01', '00']), ['ok'])
  }
  t.ok(reads > 50, `the reader read while the calls ran (${reads} reads)`)
})

t.test('a refused group: each refusal names no base and no host; the others are GROUP_NOT_APPLIED with the base they would have used', async (t) => {
  const { sim } = await openTestApp(t, { topology: loadTopology(GROUP.topology), snapshotIntervalSeconds: 60 })
  await sim.enable([ref(GROUP.data)])
  sim.advance(SECOND)
  const point = sim.advance(SECOND)
  const base = (await sim.info(ref(GROUP.data))).cdp_info[0]?.snaps[0]?.name
  const result = await sim.groupRevert([ref(GROUP.data), ref(MISSING), ref(GROUP.scratch)], point)
  t.strictSame(result.outcomes.map((o) => [o.ok ? 'ok' : o.error.code, o.snapshot_name, o.host_uuid]), [
    ['GROUP_NOT_APPLIED', base, ''],
    ['VOLUME_NOT_FOUND', '', ''],
    ['CDP_NOT_FOUND', '', '']
  ])
  const [notApplied] = result.outcomes
  t.equal(notApplied?.ok === false ? notApplied.error.desc : 'ok', 'another volume of the group refused')
})

t.test('a VM\'s members are its CDP volumes, carrying the tenant the caller named; a VM without one says so', async (t) => {
  const { sim } = await openTestApp(t, { topology: loadTopology(GROUP.topology) })
  await sim.enable([ref(GROUP.data), ref(GROUP.log)])
  const members = await sim.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm })
  t.strictSame(members.map((m) => Object.keys(m)), [['cluster_uuid', 'volume_uuid'], ['cluster_uuid', 'volume_uuid']], 'no tenant named, none carried')
  t.strictSame(await sim.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm, tenant: DEMO.ken }), [
    { cluster_uuid: DEMO.cluster, volume_uuid: GROUP.data, tenant: DEMO.ken },
    { cluster_uuid: DEMO.cluster, volume_uuid: GROUP.log, tenant: DEMO.ken }
  ])
  await t.rejects(sim.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: DEMO.kenVm }), { code: 'CDP_NOT_FOUND', desc: `vm ${DEMO.kenVm} has no volume with CDP` })
})

t.test('a bug in a member\'s step is no refusal: applyToGroup throws it as it is, and nothing stays changed', async (t) => {
  const db = join(tempDir(t, 'cdp-group-bug-'), 'sim.db')
  const sim = openSimulator({ db, topology: loadTopology(GROUP.topology), clock: { mode: 'manual' } })
  t.teardown(() => sim.close())
  await sim.enable([ref(GROUP.data), ref(GROUP.log)])
  const connection = openDatabase(db)
  t.teardown(() => connection.close())
  const sql = sqlOver(connection)
  const bug = new Error('a bug in a step')
  const noop = { prepare: () => {}, timeOf: () => 1n, change: () => ({ snapshot_name: 's', host_uuid: 'h' }) }
  t.throws(() => applyToGroup(sql, [ref(GROUP.data), ref(GROUP.log)], { ...noop, prepare: () => { throw bug } }), bug, 'in prepare')
  t.throws(() => applyToGroup(sql, [ref(GROUP.data), ref(GROUP.log)], {
    ...noop,
    change: (volume) => {
      sql.run('UPDATE volume SET name = ? WHERE id = ?', 'renamed', volume.id)
      throw bug
    }
  }), bug, 'in change')
  t.same(sim.volumes().filter((v) => v.name === 'renamed'), [], 'the change before the bug was rolled back')
})
