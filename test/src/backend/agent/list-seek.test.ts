// Deep pages across several agents: sought with the keyset cursor where every agent
// advertises it, they are the same pages as the plain way (everything up to the page from
// each agent) and as one merged list, over names that repeat across agents and differ in
// case; an agent speaking plain v1 gets the plain way; a remembered pivot is checked, so a
// change between two calls still gives the right page.
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { buildAgentServer } from '../../../../simulator/agent-server.js'
import { openSimulator, type Simulator, type Topology } from '../../../../simulator/index.js'
import { createAgentBackend } from '../../../../src/backend/agent/backend.js'
import { AGENT_PREFIX } from '../../../../src/backend/agent/protocol.js'
import type { AgentRoute } from '../../../../src/backend/agent/routing.js'
import type { CdpListItem, ListQuery } from '../../../../src/backend/port.js'
import { compareListKeys } from '../../../../src/list-order.js'
import { ok, startAgent, type FakeAgent } from '../../../helpers/fake-agent.js'
import { parseExact, printExact } from '../../../../src/json.js'

const CLUSTER = randomUUID()
const TENANT = randomUUID()
const POLICY = { cdp_priority: 'mid' as const, reserve_capacity: 1n << 30n, reserve_duration: 3600n }
const SPELLINGS = ['vol-', 'VOL-', 'Vol-', 'vol-']

/** Agent i's volume names: numbers that overlap the next agent's, in spellings that differ in case. */
function namesOf (agent: number): string[] {
  return Array.from({ length: 500 }, (_, j) => `${SPELLINGS[(j + agent) % SPELLINGS.length] ?? ''}${String(agent * 300 + j).padStart(5, '0')}`)
}

interface Agent { sim: Simulator, namespace: string, url: string }

async function startSimAgent (t: Test, names: string[]): Promise<Agent> {
  const namespace = randomUUID()
  const topology: Topology = {
    clusters: [{ uuid: CLUSTER, name: 'c', mode: '', namespaces: [{ uuid: namespace }], hosts: [{ uuid: randomUUID(), maddr: '127.0.0.1', cdp_disks: [{ path: '/dev/sdz', capacity: 2 ** 50 }] }] }],
    tenants: [{ uuid: TENANT, name: 't' }],
    vms: [],
    volumes: names.map((name) => ({ uuid: randomUUID(), name, size: 1 << 30, cluster: CLUSTER, namespace, tenant: TENANT }))
  }
  const sim = openSimulator({ db: ':memory:', topology, clock: { mode: 'manual' } })
  await sim.edit(POLICY, topology.volumes.map((v) => ({ cluster_uuid: CLUSTER, volume_uuid: v.uuid })))
  const app = await buildAgentServer({ simulator: sim })
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  t.teardown(() => app.close())
  return { sim, namespace, url }
}

/** An agent speaking plain v1 in front of `agent`: no features in its health, `after` not honoured, no `before`. */
async function plainV1 (t: Test, agent: Agent): Promise<FakeAgent> {
  return await startAgent(t, async ({ op, body }) => {
    if (op === '/health') return ok({ protocol: 1 })
    const { after: _after, ...plain } = body as Record<string, unknown>
    const answer = await fetch(`${agent.url}${AGENT_PREFIX}${op}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: printExact(plain) })
    const envelope = parseExact(await answer.text()) as { data: Record<string, unknown> }
    const { before: _before, ...data } = envelope.data
    return ok(data)
  })
}

async function mergedList (agents: readonly Agent[]): Promise<CdpListItem[]> {
  const lists = await Promise.all(agents.map(async ({ sim }) => (await sim.list({ cluster_uuid: CLUSTER, page_num: 0, page_size: 0 })).List))
  return lists.flat().sort(compareListKeys)
}

function backendOver (t: Test, agents: ReadonlyArray<{ namespace: string, url: string }>) {
  // The last agent serves the cluster's other namespaces (a cluster needs such a route).
  const routes: AgentRoute[] = agents.map(({ namespace, url }, i) =>
    i === agents.length - 1 ? { cluster_uuid: CLUSTER, urls: [url] } : { cluster_uuid: CLUSTER, namespaces: [namespace], urls: [url] })
  const backend = createAgentBackend({ routes, timeoutMs: 10_000, retries: 0, concurrency: 4 })
  t.teardown(() => backend.close())
  return backend
}

const page = (pageNum: number, pageSize: number): ListQuery => ({ cluster_uuid: CLUSTER, page_num: pageNum, page_size: pageSize })

t.test('deep pages over three agents are the merged list\'s pages, with the cursor and the plain way alike', async (t) => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i))))
  const plain = await Promise.all(agents.map(async (agent) => ({ namespace: agent.namespace, url: (await plainV1(t, agent)).url })))
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
  const counted = await Promise.all(agents.map(async (agent) => {
    const fake = await startAgent(t, async ({ op, body }) => {
      const answer = await fetch(`${agent.url}${AGENT_PREFIX}${op}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: printExact(body ?? {}) })
      return { status: answer.status, body: await answer.text() }
    })
    return { namespace: agent.namespace, url: fake.url, fake }
  }))
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
