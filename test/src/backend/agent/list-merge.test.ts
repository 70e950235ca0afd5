// The list merge across agents: pages cut from the agents' answers keep the order each agent
// gives (volume name then uuid, by code point), names that differ only in case included.
import t from 'tap'
import { mergeList, type RouteList } from '../../../../src/backend/agent/list-merge.js'
import type { CdpBackend, CdpListItem } from '../../../../src/backend/port.js'
import { createAgentBackend } from '../../../../src/backend/agent/backend.js'
import { loadTopology, openSimulator } from '../../../../simulator/index.js'
import { DEMO } from '../../../helpers/app.js'
import { startAgent } from '../../../helpers/cdp-sim.js'

const CLUSTER = { uuid: DEMO.cluster, name: 'c', mode: 'm' }
const UNICODE_TOPOLOGY = 'fixtures/unicode-topology.json'

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
