// The list merge across agents: pages cut from the agents' answers keep the order each agent
// gives (volume name then uuid, by code point), names that differ only in case included; and
// what each route is asked for (its namespaces, the page's depth, a seek's place).
import t from 'tap'
import { askFrom, listRequest, mergeList, type RouteList } from '../../../../src/backend/agent/list-merge.js'
import type { ResolvedRoute } from '../../../../src/backend/agent/routing.js'
import type { CdpBackend, CdpListItem } from '../../../../src/backend/port.js'
import { createAgentBackend } from '../../../../src/backend/agent/backend.js'
import { loadTopology, openSimulator } from '../../../../simulator/index.js'
import { DEMO } from '../../../helpers/app.js'
import { startAgent } from '../../../helpers/cdp-sim.js'

const CLUSTER = { uuid: DEMO.cluster, name: 'c', mode: 'm' }
const UNICODE_TOPOLOGY = 'fixtures/unicode-topology.json'
const THIRD_NAMESPACE = '3c3c3c3c-0000-4000-8000-000000000003'
/** DEMO.namespace and THIRD_NAMESPACE on one agent, every other namespace on another. */
const NAMED: ResolvedRoute = { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace, THIRD_NAMESPACE], exclude_namespaces: [], urls: ['http://127.0.0.1:1'] }
const CATCH_ALL: ResolvedRoute = { cluster_uuid: DEMO.cluster, exclude_namespaces: [DEMO.namespace, THIRD_NAMESPACE], urls: ['http://127.0.0.1:2'] }

function item (volumeName: string, volumeUuid: string): CdpListItem {
  const where = { cluster_uuid: CLUSTER.uuid, cluster_name: 'c', cluster_mode: 'm' }
  const owner = { tenant: DEMO.ken, tenant_name: 'ken', vm_name: '', vm_uuid: '' }
  const policy = { reserve_duration: 86400n, reserve_capacity: 1n, cdp_create_time: 0, cdp_state: 'off' as const, cdp_priority: 'mid' as const }
  return { ...where, ...owner, ...policy, volume_uuid: volumeUuid, volume_name: volumeName }
}

function part (namespace: string, items: CdpListItem[]): RouteList {
  return {
    request: { cluster_uuid: CLUSTER.uuid, namespaces: [namespace], limit: 0 },
    answer: { ok: true, value: { cluster: CLUSTER, ranges: [{ namespace_uuid: namespace, total_count: items.length }], items } }
  }
}

t.test('names that differ in case merge in code point order: capitals first, as SQLite sorts them', async (t) => {
  const one = part(DEMO.namespace, [item('Beta', 'b2'), item('alpha', 'a1'), item('beta', 'b1')])
  const other = part(DEMO.linNamespace, [item('ALPHA', 'a3'), item('Alpha', 'a2'), item('beta', 'b0'), item('Éa', 'e1')])
  const page = (num: number, size: number) => mergeList({ cluster_uuid: CLUSTER.uuid, page_num: num, page_size: size }, [one, other]).List
    .map((i) => `${i.volume_name}/${i.volume_uuid}`)
  t.same(page(0, 0), ['ALPHA/a3', 'Alpha/a2', 'Beta/b2', 'alpha/a1', 'beta/b0', 'beta/b1', 'Éa/e1'])
  t.same(page(1, 3), ['alpha/a1', 'beta/b0', 'beta/b1'], 'a page is cut from that order')
})

t.test('two agents split by namespace list in the order one simulator holding every volume lists', async (t) => {
  const ken = await startAgent(t, ['--clock', 'manual', '--topology', UNICODE_TOPOLOGY, '--namespace', DEMO.namespace])
  const lin = await startAgent(t, ['--clock', 'manual', '--topology', UNICODE_TOPOLOGY, '--namespace', DEMO.linNamespace])
  const agents = createAgentBackend({
    routes: [{ cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace], urls: [ken.url] }, { cluster_uuid: DEMO.cluster, urls: [lin.url] }],
    timeoutMs: 10_000,
    retries: 1,
    concurrency: 2
  })
  t.teardown(() => agents.close())
  const whole = openSimulator({ db: ':memory:', topology: loadTopology(UNICODE_TOPOLOGY), clock: { mode: 'manual' } })
  t.teardown(() => whole.close())

  const volumes = loadTopology(UNICODE_TOPOLOGY).volumes.map((v) => ({ cluster_uuid: DEMO.cluster, volume_uuid: v.uuid }))
  const policy = { cdp_priority: 'mid' as const, reserve_capacity: 32212254720n, reserve_duration: 86400n }
  for (const backend of [agents, whole]) await backend.edit(policy, volumes)
  for (const [num, size, filter] of [[0, 0, undefined], [0, 3, undefined], [1, 3, undefined], [2, 3, undefined], [0, 0, 'BETA'], [0, 0, 'vol']] as const) {
    const query = { cluster_uuid: DEMO.cluster, page_num: num, page_size: size, ...(filter === undefined ? {} : { filter_name: filter }) }
    const names = async (backend: CdpBackend) => (await backend.list(query)).List.map((i) => i.volume_name)
    t.same(await names(agents), await names(whole), `page ${num} of ${size}${filter === undefined ? '' : `, filter ${filter}`}`)
  }
  t.same((await agents.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List.map((i) => i.volume_name).slice(0, 4),
    ['Beta-vol', 'Straße-01', 'alpha-vol', 'beta-vol'], 'the two agents hold names that differ in case')
})

t.test('a route is asked for the namespaces it serves that the query leaves in, named in lower case; the catch-all is told what to leave out', async (t) => {
  const page = { cluster_uuid: DEMO.cluster, page_num: 0, page_size: 10 }
  t.strictSame(listRequest(page, NAMED), { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace, THIRD_NAMESPACE], limit: 10 },
    'nothing left out: the route\'s own namespaces, and no exclude_namespaces beside them')
  t.strictSame(listRequest(page, CATCH_ALL), { cluster_uuid: DEMO.cluster, exclude_namespaces: [DEMO.namespace, THIRD_NAMESPACE], limit: 10 })
  t.strictSame(listRequest(page, { ...CATCH_ALL, exclude_namespaces: [] }), { cluster_uuid: DEMO.cluster, limit: 10 }, 'a cluster\'s only route is asked for everything')

  const only = { ...page, namespaces: [THIRD_NAMESPACE.toUpperCase(), DEMO.linNamespace.toUpperCase()] }
  t.strictSame(listRequest(only, NAMED), { cluster_uuid: DEMO.cluster, namespaces: [THIRD_NAMESPACE], limit: 10 }, 'namespaces: the ones of the route')
  t.strictSame(listRequest(only, CATCH_ALL), { cluster_uuid: DEMO.cluster, namespaces: [DEMO.linNamespace], limit: 10 },
    'the catch-all: the ones no other route serves')

  const except = { ...page, exclude_namespaces: [THIRD_NAMESPACE.toUpperCase()] }
  t.strictSame(listRequest(except, NAMED), { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace], limit: 10 }, 'exclude_namespaces: the route\'s others')
  t.strictSame(listRequest(except, CATCH_ALL), { cluster_uuid: DEMO.cluster, exclude_namespaces: [DEMO.namespace, THIRD_NAMESPACE, THIRD_NAMESPACE], limit: 10 })
  t.equal(listRequest({ ...page, exclude_namespaces: [DEMO.namespace.toUpperCase(), THIRD_NAMESPACE] }, NAMED), undefined,
    'a route whose every namespace is left out is not asked')
  t.equal(listRequest({ ...page, namespaces: [DEMO.linNamespace] }, NAMED), undefined, 'nor one serving none the query names')
})

t.test('a route is asked for the first (page_num + 1) × page_size items, everything for page_size 0, with the query\'s tenant and filter', async (t) => {
  const query = { cluster_uuid: DEMO.cluster, tenant: DEMO.ken, filter_name: 'vol', page_num: 2, page_size: 7 }
  t.strictSame(listRequest(query, CATCH_ALL), { cluster_uuid: DEMO.cluster, tenant: DEMO.ken, filter_name: 'vol', exclude_namespaces: [DEMO.namespace, THIRD_NAMESPACE], limit: 21 })
  t.equal(listRequest({ ...query, page_size: 0 }, CATCH_ALL)?.limit, 0)
  t.equal(listRequest({ ...query, page_num: 2 ** 53, page_size: 1000 }, CATCH_ALL)?.limit, Number.MAX_SAFE_INTEGER, 'a limit stays an exact integer')
})

t.test('a seek\'s ask keeps every field of the route\'s request and adds its own place; a field absent from both is absent', async (t) => {
  const after = { volume_name: 'vol-1', volume_uuid: DEMO.cdp1 }
  const full = { cluster_uuid: DEMO.cluster, tenant: DEMO.ken, filter_name: 'vol', namespaces: [DEMO.namespace], exclude_namespaces: [THIRD_NAMESPACE], limit: 5000 }
  t.strictSame(askFrom(full, { after, offset: 12, limit: 3 }), { ...full, limit: 3, offset: 12, after })
  t.strictSame(askFrom({ cluster_uuid: DEMO.cluster, limit: 5000 }, { limit: 1 }), { cluster_uuid: DEMO.cluster, limit: 1 })
})

t.test('a page sought with the cursor is cut counting the items skipped before the parts', async (t) => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f']
  const after = part(DEMO.namespace, names.map((name, i) => item(name, `u${i}`)))
  // Items 0-9 of the list were skipped: page 3 of 4 (items 12-15) is the parts' items 2-5.
  const page = mergeList({ cluster_uuid: CLUSTER.uuid, page_num: 3, page_size: 4 }, [after], 10)
  t.strictSame(page.List.map((i) => i.volume_name), ['c', 'd', 'e', 'f'])
})
