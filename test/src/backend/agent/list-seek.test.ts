// Deep pages across several agents: sought with the keyset cursor where every agent
// advertises it, they are the same pages as the plain way (everything up to the page from
// each agent) and as one merged list, over names that repeat across agents and differ in
// case; an agent speaking plain v1 gets the plain way; a remembered pivot is checked, so a
// change between two calls still gives the right page.
import t from 'tap'
import type { CdpListItem } from '../../../../src/backend/port.js'
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
