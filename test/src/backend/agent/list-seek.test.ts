// Deep pages across several agents: sought with the keyset cursor where every agent
// advertises it, they are the same pages as the plain way (everything up to the page from
// each agent) and as one merged list, over names that repeat across agents and differ in
// case; an agent speaking plain v1 gets the plain way; a remembered pivot is checked, so a
// change between two calls still gives the right page. Which pages are sought, and which
// pivots are remembered for which queries.
import t from 'tap'
import { PivotMemory, seekable } from '../../../../src/backend/agent/list-seek.js'
import type { CdpListItem, ListQuery } from '../../../../src/backend/port.js'
import { backendOver, CLUSTER, mergedList, namesOf, page, plainV1, relay, startSimAgent } from '../../../helpers/seek-agents.js'

t.test('deep pages over three agents are the merged list\'s pages, with the cursor and the plain way alike', async (t) => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i))))
  const plain = await Promise.all(agents.map(async (agent) => await plainV1(t, agent)))
  const merged = await mergedList(agents)
  const cursor = backendOver(t, agents)
  const plainBackend = backendOver(t, plain)
  for (const [pageNum, pageSize] of [[100, 10], [149, 10], [71, 20], [33, 37], [7, 200], [1, 940], [299, 5], [500, 10]] as const) {
    const expected = merged.slice(pageNum * pageSize, (pageNum + 1) * pageSize)
    const sought = await cursor.list(page(pageNum, pageSize))
    t.strictSame(sought.List, expected, `page ${pageNum} of ${pageSize} with the cursor`)
    t.equal(sought.TotalCount, merged.length)
    t.strictSame((await plainBackend.list(page(pageNum, pageSize))).List, expected, `page ${pageNum} of ${pageSize} the plain way`)
  }
})

t.test('a deep page asks each agent a few short questions, and a remembered page one', async (t) => {
  const agents = await Promise.all([0, 1, 2, 3].map(async (i) => await startSimAgent(t, namesOf(i))))
  // Counting agents in front of the real ones: they pass everything through, features included.
  const counted = await Promise.all(agents.map(async (agent) => await relay(t, agent)))
  const backend = backendOver(t, counted)
  const merged = await mergedList(agents)
  t.strictSame((await backend.list(page(150, 10))).List, merged.slice(1500, 1510))
  const cold = counted.map(({ fake }) => fake.count('/list'))
  // Names here lie in overlapping blocks per agent, the slow case for the probes: at most
  // totals, eight probe rounds of two and one fetch.
  t.ok(cold.every((n) => n <= 18), `cold: at most 18 list requests per agent (${cold.join(', ')})`)
  t.strictSame((await backend.list(page(150, 10))).List, merged.slice(1500, 1510))
  t.same(counted.map(({ fake }) => fake.count('/list')), cold.map((n) => n + 1), 'warm: one list request per agent')
})

t.test('a change between two calls of one page is seen: the remembered pivot is checked', async (t) => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i))))
  const backend = backendOver(t, agents)
  const before = await mergedList(agents)
  t.strictSame((await backend.list(page(120, 10))).List, before.slice(1200, 1210))
  const gone = before[3] as CdpListItem
  // Only the agent that has the volume cleans it; the others do not know it.
  for (const agent of agents) await agent.sim.clean({ cluster_uuid: CLUSTER, volume_uuid: gone.volume_uuid }).catch(() => {})
  const after = await mergedList(agents)
  t.equal(after.length, before.length - 1)
  t.strictSame((await backend.list(page(120, 10))).List, after.slice(1200, 1210), 'the page moved up by one')
})

t.test('a page is sought when everything up to it is more than one request of 1,000, and it fits a probe answer beside 64 items', async (t) => {
  const sought = (pageNum: number, pageSize: number) => seekable({ cluster_uuid: CLUSTER, page_num: pageNum, page_size: pageSize })
  t.notOk(sought(5000, 0), 'page_size 0 is the whole list')
  t.notOk(sought(1, 500), 'items 0-999: one request')
  t.ok(sought(1, 501), 'items 0-1001')
  t.notOk(sought(999, 1), 'item 999')
  t.ok(sought(1000, 1), 'item 1000')
  t.ok(sought(2, 936), '936 + 64 = 1000 fits an answer')
  t.notOk(sought(2, 937), 'one more does not')
})

t.test('a pivot is remembered per query and rank: case of the ids aside, an empty filter or exclusion being none, 1,024 of them, the least recently set forgotten', async (t) => {
  const memory = new PivotMemory()
  const key = (i: number) => ({ volume_name: `vol-${i}`, volume_uuid: `u${i}` })
  const query: ListQuery = { cluster_uuid: CLUSTER, tenant: 'aaaaaaaa-0000-4000-8000-00000000000a', filter_name: 'Vol', page_num: 3, page_size: 10 }
  memory.set(query, 30, key(1))
  t.strictSame(memory.get({ ...query, cluster_uuid: CLUSTER.toUpperCase(), tenant: query.tenant?.toUpperCase(), page_num: 1, page_size: 30 }, 30), key(1),
    'ids in any case, and any page at that rank')
  t.equal(memory.get(query, 31), undefined, 'another rank')
  for (const other of [{ tenant: 'bbbbbbbb-0000-4000-8000-00000000000b' }, { filter_name: 'vol' }, { namespaces: [CLUSTER] }, { exclude_namespaces: [CLUSTER] }]) {
    t.equal(memory.get({ ...query, ...other }, 30), undefined, `another query: ${JSON.stringify(other)}`)
  }
  const plain: ListQuery = { cluster_uuid: CLUSTER, page_num: 3, page_size: 10 }
  memory.set({ ...plain, filter_name: '', exclude_namespaces: [] }, 30, key(2))
  t.strictSame(memory.get(plain, 30), key(2), 'an empty filter and an empty exclusion are none')
  t.strictSame(memory.get(query, 30), key(1), 'each query its own pivot')

  const full = new PivotMemory()
  for (let rank = 0; rank < 1024; rank++) full.set(plain, rank, key(rank))
  full.set(plain, 0, key(0))
  full.set(plain, 1024, key(1024))
  t.strictSame(full.get(plain, 0), key(0), 'set again, the first is the most recent')
  t.equal(full.get(plain, 1), undefined, 'the least recently set is forgotten')
  t.strictSame([2, 1023, 1024].map((rank) => full.get(plain, rank)), [key(2), key(1023), key(1024)])
})
