// list: ranges (cluster × namespace) the tenant may see, the name/uuid filter, 0-based paging.
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { ListQuery, ListResult } from '../../src/backend/port.js'
import { openSimulator, type Simulator, type Topology } from '../../simulator/index.js'
import { listCdps } from '../../simulator/list.js'
import { openDatabase } from '../../simulator/schema.js'
import { sqlOver } from '../../simulator/sql.js'
import { demoTopology, DEMO } from '../helpers/demo.js'
import { openDemo, policy, ref } from '../helpers/simulator.js'

/** CDP on every demo volume; by name: cdp-1, ken-vm-1-volume1-0, lin-data, lin-vm-1-volume1-0, vol-1. */
async function allConfigured (sim: Simulator): Promise<void> {
  await sim.edit(policy(1024n ** 3n, 3600n), [ref(DEMO.vol1), ref(DEMO.cdp1), ref(DEMO.kenVolume), ref(DEMO.linData), ref(DEMO.linVolume)])
}

const names = (list: Array<{ volume_name: string }>): string[] => list.map((item) => item.volume_name)

t.test('only volumes with CDP are listed', async (t) => {
  const sim = openDemo(t)
  await sim.edit(policy(1024n ** 3n, 3600n), [ref(DEMO.vol1)])
  const result = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.same(names(result.List), ['vol-1'])
  t.equal(result.TotalCount, 1)
})

t.test('without a tenant every namespace of the cluster is a range, each with its own count', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const result = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.equal(result.TotalCount, 5)
  t.same(result.each_range_list_state.map((r) => [r.namespace_uuid, r.total_count]), [[DEMO.namespace, 3], [DEMO.linNamespace, 2]])
  t.match(result.each_range_list_state[0], { cluster_uuid: DEMO.cluster, cluster_name: 'cluster_name_236', cluster_mode: '' })
  t.equal(result.each_range_list_state[0]?.error, undefined, 'a range that answered carries no error')
})

t.test('a tenant sees only its namespaces\' ranges and its own volumes', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const ken = await sim.list({ cluster_uuid: DEMO.cluster, tenant: DEMO.ken, page_num: 0, page_size: 0 })
  t.same(ken.each_range_list_state.map((r) => r.namespace_uuid), [DEMO.namespace])
  t.same(names(ken.List), ['cdp-1', 'ken-vm-1-volume1-0', 'vol-1'])
  t.ok(ken.List.every((item) => item.tenant === DEMO.ken && item.tenant_name === 'ken'))
  const lin = await sim.list({ cluster_uuid: DEMO.cluster, tenant: DEMO.lin, page_num: 0, page_size: 0 })
  t.same(names(lin.List), ['lin-data', 'lin-vm-1-volume1-0'])
  t.equal(lin.TotalCount, 2)
})

t.test('a list item names the volume\'s VM, or leaves it empty', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const { List } = await sim.list({ cluster_uuid: DEMO.cluster, tenant: DEMO.ken, page_num: 0, page_size: 0 })
  t.match(List.find((item) => item.volume_uuid === DEMO.kenVolume), { vm_name: 'ken-vm-1', vm_uuid: DEMO.kenVm })
  t.match(List.find((item) => item.volume_uuid === DEMO.vol1), { vm_name: '', vm_uuid: '' })
})

t.test('filter_name matches a substring of the name, case-insensitively', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const result = await sim.list({ cluster_uuid: DEMO.cluster, filter_name: 'VOL', page_num: 0, page_size: 0 })
  t.same(names(result.List), ['ken-vm-1-volume1-0', 'lin-vm-1-volume1-0', 'vol-1'])
  t.equal(result.TotalCount, 3)
  t.same(result.each_range_list_state.map((r) => r.total_count), [2, 1], 'range counts follow the filter')
})

t.test('filter_name matches a substring of the uuid', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const result = await sim.list({ cluster_uuid: DEMO.cluster, filter_name: '85571AEA', page_num: 0, page_size: 0 })
  t.same(names(result.List), ['cdp-1'])
})

t.test('filter_name treats LIKE wildcards as plain characters', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  t.same((await sim.list({ cluster_uuid: DEMO.cluster, filter_name: '%', page_num: 0, page_size: 0 })).List, [])
  t.same((await sim.list({ cluster_uuid: DEMO.cluster, filter_name: 'vol_1', page_num: 0, page_size: 0 })).List, [])
})

t.test('paging is 0-based over a stable order (name, then uuid)', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const pages = []
  for (let page = 0; page < 3; page++) {
    pages.push(names((await sim.list({ cluster_uuid: DEMO.cluster, page_num: page, page_size: 2 })).List))
  }
  t.same(pages, [['cdp-1', 'ken-vm-1-volume1-0'], ['lin-data', 'lin-vm-1-volume1-0'], ['vol-1']])
  t.same(pages[0], names((await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 2 })).List), 'the same page again is the same')
})

t.test('page_size 0 returns everything', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const result = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.equal(result.List.length, 5)
})

t.test('a page past the end is empty and still carries the true total', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const result = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 3, page_size: 2 })
  t.same(result.List, [])
  t.equal(result.TotalCount, 5)
  t.same(result.each_range_list_state.map((r) => r.total_count), [3, 2])
})

t.test('an unknown tenant sees no ranges and no volumes', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const result = await sim.list({ cluster_uuid: DEMO.cluster, tenant: '00000000-0000-4000-8000-000000000000', page_num: 0, page_size: 0 })
  t.same(result, { TotalCount: 0, List: [], each_range_list_state: [] })
})

t.test('the cluster, the tenant and the namespaces are uuids in any case', async (t) => {
  const sim = openDemo(t)
  await allConfigured(sim)
  const ranges = (result: ListResult): string[] => result.each_range_list_state.map((r) => r.namespace_uuid)
  const all = { cluster_uuid: DEMO.cluster.toUpperCase(), page_num: 0, page_size: 0 }
  t.equal((await sim.list(all)).TotalCount, 5)
  t.same(names((await sim.list({ ...all, tenant: DEMO.lin.toUpperCase() })).List), ['lin-data', 'lin-vm-1-volume1-0'])
  for (const spelled of [DEMO.linNamespace, DEMO.linNamespace.toUpperCase()]) {
    const only = await sim.list({ ...all, namespaces: [spelled] })
    t.same(ranges(only), [DEMO.linNamespace], `namespaces ${spelled}`)
    t.same(names(only.List), ['lin-data', 'lin-vm-1-volume1-0'])
    const except = await sim.list({ ...all, exclude_namespaces: [spelled] })
    t.same(ranges(except), [DEMO.namespace], `exclude_namespaces ${spelled}`)
    t.same(names(except.List), ['cdp-1', 'ken-vm-1-volume1-0', 'vol-1'])
  }
})

/** The demo on a file, with CDP on every volume, listed by the simulator (its name index) and by the SQL on a connection of its own. */
async function bothWays (t: Test): Promise<Array<[string, (query: ListQuery) => Promise<ListResult>]>> {
  const db = join(t.testdir({}), 'sim.db')
  const sim = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' } })
  t.teardown(() => sim.close())
  await allConfigured(sim)
  const handle = openDatabase(db)
  handle.defaultSafeIntegers(true)
  const sql = sqlOver(handle)
  t.teardown(() => { sql.close() })
  return [['index', async (query) => await sim.list(query)], ['SQL', async (query) => listCdps(sql, query)]]
}

t.test('with a cursor the page starts after it, and before counts the matches at or before it', async (t) => {
  // In list order: cdp-1, ken-vm-1-volume1-0, lin-data, lin-vm-1-volume1-0, vol-1.
  for (const [way, list] of await bothWays(t)) {
    const at = { volume_name: 'lin-data', volume_uuid: DEMO.linData.toUpperCase() }
    const after = await list({ cluster_uuid: DEMO.cluster, after: at, page_num: 0, page_size: 0 })
    t.same(names(after.List), ['lin-vm-1-volume1-0', 'vol-1'], `${way}: the items after the cursor`)
    t.equal(after.before, 3, `${way}: three at or before it`)
    t.equal(after.TotalCount, 5, `${way}: the total counts them all`)
    const between = await list({ cluster_uuid: DEMO.cluster, after: { volume_name: 'l', volume_uuid: DEMO.vol1 }, page_num: 1, page_size: 1 })
    t.same(names(between.List), ['lin-vm-1-volume1-0'], `${way}: a cursor between two names; pages count from it`)
    t.equal(between.before, 2, `${way}: two before a key no volume has`)
    const filtered = await list({ cluster_uuid: DEMO.cluster, filter_name: 'volume', after: at, page_num: 0, page_size: 0 })
    t.same([names(filtered.List), filtered.before], [['lin-vm-1-volume1-0'], 1], `${way}: before counts the filter's matches only`)
    const none = await list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
    t.notOk('before' in none, `${way}: no cursor, no before`)
  }
})

const CLUSTER = randomUUID()
const TENANTS = [randomUUID(), randomUUID()] as const
/** Twenty-three namespaces open to every tenant. */
const OPEN = Array.from({ length: 23 }, () => randomUUID())

/**
 * OPEN[i] holds x-<i>-0, tenant 0's; OPEN[0] also holds x-0-1, tenant 1's. Namespaces are
 * seeded in this order, so their row ids are 1 to 23: the ids of {1, 2, 3} and of {1, 23}
 * run together into the same digits.
 */
async function openShared (t: Test): Promise<Simulator> {
  const volume = (name: string, namespace: string, tenant: string) => ({ uuid: randomUUID(), name, size: 1 << 20, cluster: CLUSTER, namespace, tenant })
  const topology: Topology = {
    clusters: [{
      uuid: CLUSTER,
      name: 'shared',
      mode: '',
      namespaces: OPEN.map((uuid) => ({ uuid })),
      hosts: [{ uuid: randomUUID(), maddr: '127.0.0.1', cdp_disks: [{ path: '/dev/cdp', capacity: 2 ** 40 }] }]
    }],
    tenants: TENANTS.map((uuid, i) => ({ uuid, name: `t${i}` })),
    vms: [],
    volumes: [...OPEN.map((ns, i) => volume(`x-${i}-0`, ns, TENANTS[0])), volume('x-0-1', OPEN[0] as string, TENANTS[1])]
  }
  const sim = openSimulator({ db: ':memory:', topology, clock: { mode: 'manual' } })
  t.teardown(() => sim.close())
  await sim.edit(policy(1n << 20n, 3600n), topology.volumes.map((v) => ({ cluster_uuid: CLUSTER, volume_uuid: v.uuid })))
  return sim
}

t.test('a tenant sees only its own volumes in a namespace open to all', async (t) => {
  const sim = await openShared(t)
  const result = await sim.list({ cluster_uuid: CLUSTER, tenant: TENANTS[1], page_num: 0, page_size: 0 })
  t.same(names(result.List), ['x-0-1'])
  t.equal(result.TotalCount, 1)
  t.same(result.each_range_list_state.map((r) => r.total_count), [1, ...OPEN.slice(1).map(() => 0)], 'every open namespace is a range; only the first holds one of its volumes')
})

t.test('one filter asked again for another tenant or other namespaces answers for them', async (t) => {
  const sim = await openShared(t)
  const listed = async (query: Partial<ListQuery>): Promise<string[]> =>
    names((await sim.list({ cluster_uuid: CLUSTER, filter_name: 'x-', page_num: 0, page_size: 0, ...query })).List)
  const only = (...picks: number[]): Partial<ListQuery> => ({ namespaces: picks.map((i) => OPEN[i] as string) })
  t.same(await listed({ tenant: TENANTS[0], ...only(0) }), ['x-0-0'])
  t.same(await listed({ tenant: TENANTS[1], ...only(0) }), ['x-0-1'], 'the other tenant, the same namespace')
  t.same(await listed(only(0, 1, 2)), ['x-0-0', 'x-0-1', 'x-1-0', 'x-2-0'])
  t.same(await listed(only(0, 22)), ['x-0-0', 'x-0-1', 'x-22-0'], 'other namespaces, whose ids run together the same')
  t.same(await listed(only(5)), ['x-5-0'])
})
