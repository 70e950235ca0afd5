// list: ranges (cluster × namespace) the tenant may see, the name/uuid filter, 0-based paging.
import t from 'tap'
import type { Simulator } from '../../simulator/index.js'
import { openDemo, policy, ref } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'

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
