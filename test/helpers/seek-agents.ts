// Agents for the deep-page tests: simulator agents on loopback sockets holding one namespace
// of a shared cluster each, relays in front of them that pass requests through (counting
// them, or answering some as a script says), and an AgentBackend over any of them.
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { buildAgentServer } from '../../simulator/agent-server.js'
import { openSimulator, type Simulator, type Topology } from '../../simulator/index.js'
import { createAgentBackend, type AgentBackend, type AgentBackendOptions } from '../../src/backend/agent/backend.js'
import { AGENT_PREFIX } from '../../src/backend/agent/protocol.js'
import type { AgentRoute } from '../../src/backend/agent/routing.js'
import type { CdpListItem, ListQuery } from '../../src/backend/port.js'
import { compareListKeys } from '../../src/list-order.js'
import { parseExact, printExact } from '../../src/json.js'
import { ok, startAgent, type FakeAgent, type Reply, type Seen, type Written } from './fake-agent.js'

export const CLUSTER = randomUUID()
const TENANT = randomUUID()
const POLICY = { cdp_priority: 'mid' as const, reserve_capacity: 1n << 30n, reserve_duration: 3600n }
const SPELLINGS = ['vol-', 'VOL-', 'Vol-', 'vol-']

/** Agent i's `count` volume names: numbers that overlap the next agent's, in spellings that differ in case. */
export function namesOf (agent: number, count = 500): string[] {
  return Array.from({ length: count }, (_, j) => `${SPELLINGS[(j + agent) % SPELLINGS.length] ?? ''}${String(agent * 300 + j).padStart(5, '0')}`)
}

/** An agent and the namespace it holds. */
export interface Placed { namespace: string, url: string }
export interface SimAgent extends Placed { sim: Simulator }

export async function startSimAgent (t: Test, names: string[]): Promise<SimAgent> {
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

/** `body` sent on to the agent at `url` as the operation `op`, and its answer. */
export async function passOn (url: string, op: string, body: unknown): Promise<Written> {
  const answer = await fetch(`${url}${AGENT_PREFIX}${op}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: printExact(body ?? {}) })
  return { status: answer.status, body: await answer.text() }
}

/** An agent in front of `agent` that passes every request on, unless `script` answers it (undefined: pass on). */
export async function relay (t: Test, agent: Placed, script: (seen: Seen) => Reply | undefined = () => undefined): Promise<Placed & { fake: FakeAgent }> {
  const fake = await startAgent(t, async (seen) => script(seen) ?? await passOn(agent.url, seen.op, seen.body))
  return { namespace: agent.namespace, url: fake.url, fake }
}

/** An agent speaking plain v1 in front of `agent`: `after` not honoured, no `before`; its health lists `features` (default none). */
export async function plainV1 (t: Test, agent: Placed, features?: string[]): Promise<Placed & { fake: FakeAgent }> {
  const fake = await startAgent(t, async ({ op, body }) => {
    if (op === '/health') return ok({ protocol: 1, ...(features === undefined ? {} : { features }) })
    const { after: _after, ...plain } = body as Record<string, unknown>
    const envelope = parseExact((await passOn(agent.url, op, plain)).body) as { data: Record<string, unknown> }
    const { before: _before, ...data } = envelope.data
    return ok(data)
  })
  return { namespace: agent.namespace, url: fake.url, fake }
}

/** What the simulators hold together, in list order. */
export async function mergedList (agents: ReadonlyArray<{ sim: Simulator }>): Promise<CdpListItem[]> {
  const lists = await Promise.all(agents.map(async ({ sim }) => (await sim.list({ cluster_uuid: CLUSTER, page_num: 0, page_size: 0 })).List))
  return lists.flat().sort(compareListKeys)
}

/** An AgentBackend with a route per agent's namespace; the last agent serves the cluster's other namespaces (a cluster needs such a route). */
export function backendOver (t: Test, agents: readonly Placed[], options: Partial<AgentBackendOptions> = {}): AgentBackend {
  const routes: AgentRoute[] = agents.map(({ namespace, url }, i) =>
    i === agents.length - 1 ? { cluster_uuid: CLUSTER, urls: [url] } : { cluster_uuid: CLUSTER, namespaces: [namespace], urls: [url] })
  const backend = createAgentBackend({ routes, timeoutMs: 10_000, retries: 0, concurrency: 4, backoffMs: 1, ...options })
  t.teardown(() => backend.close())
  return backend
}

export const page = (pageNum: number, pageSize: number): ListQuery => ({ cluster_uuid: CLUSTER, page_num: pageNum, page_size: pageSize })
