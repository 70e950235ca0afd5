// The /sim/v1 of a cluster of agents, in process: two agent servers on 127.0.0.1, each with
// its own fault rules, behind one cluster control app. A rule goes to every agent under one
// id and seed, or to none; the list sums the agents' counts; a removal or a clear reaches
// every agent. The rest of /sim/v1 acts on the cluster's own simulator.
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:net'
import t, { type Test } from 'tap'
import { buildAgentServer } from '../../simulator/agent-server.js'
import { buildClusterControl } from '../../simulator/cluster-control.js'
import { AGENT_PREFIX } from '../../src/backend/agent/protocol.js'
import { Scode } from '../../src/errors.js'
import { call } from '../helpers/app.js'
import { DEMO, demoTopology } from '../helpers/demo.js'
import { openDemo, ref } from '../helpers/simulator.js'

const SIM = '/sim/v1'
const FAULTS = `${SIM}/faults`
const SECOND = 1_000_000_000n
const START = 1630053321n * SECOND

type App = Awaited<ReturnType<typeof buildAgentServer>>
interface Rule { id: string, seed: number, probability: number, matched: number, fired: number, [field: string]: unknown }

async function openAgent (t: Test): Promise<{ app: App, url: string }> {
  const app = await buildAgentServer({ simulator: openDemo(t) })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` }
}

/** A port on 127.0.0.1 that nothing listens on (taken, then let go). */
async function closedPort (): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => { resolve() }))
  return `http://127.0.0.1:${port}`
}

async function openCluster (t: Test, agentUrls?: (urls: string[]) => string[]) {
  const agents = [await openAgent(t), await openAgent(t)]
  const simulator = openDemo(t)
  const urls = agents.map((a) => a.url)
  const control = await buildClusterControl({ simulator, agents: agentUrls === undefined ? urls : agentUrls(urls) })
  t.teardown(() => control.close())
  const rulesOf = async (app: App): Promise<Rule[]> => (await call(app, 'GET', FAULTS)).body.data.rules
  return { agents, simulator, control, rulesOf }
}

t.test('a rule reaches every agent with one id and one seed, and the list sums their counts', async (t) => {
  const { agents, control, rulesOf } = await openCluster(t)
  // A probability that prints as 1e-7: the agents' schema takes decimals only.
  const added = await call(control, 'POST', FAULTS, { operation: 'info', probability: '0.0000001', scode: Scode.BACKEND_UNAVAILABLE.scode })
  t.equal(added.status, 200, String(added.body.desc))
  const rule = added.body.data as Rule
  t.match(rule, { operation: 'info', probability: 1e-7, scode: Scode.BACKEND_UNAVAILABLE.scode, matched: 0, fired: 0 })
  for (const { app } of agents) {
    t.match(await rulesOf(app), [{ id: rule.id, seed: rule.seed, probability: 1e-7, scode: Scode.BACKEND_UNAVAILABLE.scode, matched: 0, fired: 0 }], 'each agent holds it')
  }
  await call(control, 'DELETE', `${FAULTS}/${rule.id}`)

  const sure = (await call(control, 'POST', FAULTS, { operation: 'info', probability: 1, count: 5, scode: Scode.BACKEND_UNAVAILABLE.scode, seed: 7 })).body.data as Rule
  const calls = [3, 2]
  for (const [i, { app }] of agents.entries()) {
    for (let n = 0; n < (calls[i] as number); n++) {
      t.equal((await call(app, 'POST', `${AGENT_PREFIX}/info`, { volume: ref(DEMO.cdp1) })).status, 503)
    }
  }
  const listed = (await call(control, 'GET', FAULTS)).body.data.rules as Rule[]
  t.match(listed, [{ id: sure.id, seed: 7, count: 5, matched: 5, fired: 5 }], 'one rule, 3 + 2 calls')
  t.equal(listed.length, 1)
  t.match(await rulesOf(agents[0]?.app as App), [{ matched: 3, fired: 3 }], 'each agent keeps its own count')
  t.match(await rulesOf(agents[1]?.app as App), [{ matched: 2, fired: 2 }])
})

t.test('rules added to one agent alone are listed once each; a removal reaches the agent that has it', async (t) => {
  const { agents, control, rulesOf } = await openCluster(t)
  const [first, second] = agents as unknown as [{ app: App, url: string }, { app: App, url: string }]
  const only = (await call(first.app, 'POST', FAULTS, { operation: 'revert', probability: 1, drop: true })).body.data as Rule
  const other = (await call(second.app, 'POST', FAULTS, { operation: 'edit', probability: 1, drop: true })).body.data as Rule
  t.strictSame(((await call(control, 'GET', FAULTS)).body.data.rules as Rule[]).map((r) => r.id).sort(), [only.id, other.id].sort())

  const removed = await call(control, 'DELETE', `${FAULTS}/${only.id.toUpperCase()}`)
  t.equal(removed.status, 200, String(removed.body.desc))
  t.strictSame(removed.body.data, { id: only.id }, 'the id in lower case')
  t.strictSame(await rulesOf(first.app), [], 'gone from the agent that had it')
  t.equal((await rulesOf(second.app)).length, 1, 'the other agent\'s rule stays')
  const again = await call(control, 'DELETE', `${FAULTS}/${only.id}`)
  t.match(again, { status: 404, body: { scode: Scode.FAULT_NOT_FOUND.scode } }, 'no agent has it: FAULT_NOT_FOUND')
})

t.test('a clear reaches every agent and answers the most rules one agent had', async (t) => {
  const { agents, control, rulesOf } = await openCluster(t)
  t.strictSame((await call(control, 'DELETE', FAULTS)).body.data, { removed: 0 }, 'nothing to clear: 0')
  const [first, second] = agents as unknown as [{ app: App, url: string }, { app: App, url: string }]
  for (const operation of ['revert', 'edit']) await call(first.app, 'POST', FAULTS, { operation, probability: 1, drop: true })
  await call(control, 'POST', FAULTS, { operation: 'info', probability: 1, drop: true })
  t.equal((await rulesOf(first.app)).length, 3)
  t.equal((await rulesOf(second.app)).length, 1)
  t.strictSame((await call(control, 'DELETE', FAULTS)).body.data, { removed: 3 })
  t.strictSame([await rulesOf(first.app), await rulesOf(second.app)], [[], []])
})

t.test('an agent that cannot be reached fails the add as AGENT_UNREACHABLE, and no agent keeps the rule', async (t) => {
  const dead = await closedPort()
  const { agents, control, rulesOf } = await openCluster(t, (urls) => [...urls, dead])
  const added = await call(control, 'POST', FAULTS, { operation: 'info', probability: 1, scode: Scode.BACKEND_UNAVAILABLE.scode })
  t.match(added, { status: 502, body: { scode: Scode.AGENT_UNREACHABLE.scode, data: null } })
  t.ok(String(added.body.desc).startsWith(`${dead}: `), `the desc names the agent (${String(added.body.desc)})`)
  for (const { app } of agents) t.strictSame(await rulesOf(app), [], 'the agents that took it gave it back')
  t.match(await call(control, 'GET', FAULTS), { status: 502, body: { scode: Scode.AGENT_UNREACHABLE.scode } }, 'a list meets it too')
  t.match(await call(control, 'DELETE', FAULTS), { status: 502, body: { scode: Scode.AGENT_UNREACHABLE.scode } }, 'and a clear')
  t.match(await call(control, 'DELETE', `${FAULTS}/${DEMO.cdp1}`), { status: 502, body: { scode: Scode.AGENT_UNREACHABLE.scode } }, 'and a removal')
})

t.test('an agent that refuses a rule fails the add with its scode and desc, and the others give it back', async (t) => {
  const { agents, control, rulesOf } = await openCluster(t)
  const [first, second] = agents as unknown as [{ app: App, url: string }, { app: App, url: string }]
  // The second agent's answer to a second rule under an id it holds; the removal that
  // follows takes its own rule too, so only the first agent is looked at.
  const id = '0e6a8a38-8e3e-4b55-9a2c-5d9b3b1e0f11'
  await call(second.app, 'POST', FAULTS, { id, operation: 'edit', probability: 1, drop: true })
  const added = await call(control, 'POST', FAULTS, { id, operation: 'info', probability: 1, drop: true })
  t.match(added, { status: 400, body: { scode: Scode.INVALID_PARAMETER.scode } })
  t.equal(added.body.desc, `${second.url}: a rule with id ${id} exists`, 'the agent\'s desc after its url')
  t.strictSame(await rulesOf(first.app), [], 'the agent that took it gave it back')
})

t.test('a bad rule is refused before any agent sees it', async (t) => {
  const { agents, control, rulesOf } = await openCluster(t)
  const res = await call(control, 'POST', FAULTS, { operation: 'info', probability: 1 })
  t.match(res, { status: 400, body: { scode: Scode.INVALID_PARAMETER.scode, desc: 'a rule needs an effect: scode, drop or latency_ms' } })
  for (const { app } of agents) t.strictSame(await rulesOf(app), [])
})

t.test('the rest of /sim/v1 acts on the cluster\'s simulator; a reset keeps the topology and clears every agent\'s rules', async (t) => {
  const { agents, simulator, control, rulesOf } = await openCluster(t)
  t.strictSame((await call(control, 'GET', `${SIM}/clock`)).body.data, { now: START, mode: 'manual' })
  await simulator.enable([ref(DEMO.cdp1)])
  await call(control, 'POST', `${SIM}/clock/advance`, { seconds: 3 })
  t.equal(simulator.clock().now, START + 3n * SECOND, 'the clock is the simulator\'s')
  t.match((await call(control, 'GET', `${SIM}/volumes/${DEMO.cdp1}`)).body.data, { uuid: DEMO.cdp1, nbd_uri: null }, 'the block routes are mounted')
  const snapshots = await call(control, 'POST', `${SIM}/snapshots`, { volumes: [DEMO.cdp1] })
  t.equal(snapshots.status, 200, String(snapshots.body.desc))
  t.match(snapshots.body.data.snapshots, [{ volume_uuid: DEMO.cdp1, time: START + 3n * SECOND }])

  const saved = await control.inject({ method: 'GET', url: `${SIM}/state` })
  t.equal(saved.statusCode, 200)
  await call(control, 'POST', `${SIM}/clock/advance`, { seconds: 4 })
  const loaded = await control.inject({ method: 'PUT', url: `${SIM}/state`, headers: { 'content-type': saved.headers['content-type'] as string }, payload: saved.rawPayload })
  t.equal(loaded.statusCode, 200, loaded.body)
  t.equal(simulator.clock().now, START + 3n * SECOND, 'the saved state is back')

  await call(control, 'POST', FAULTS, { operation: 'info', probability: 1, drop: true })
  const refused = await call(control, 'POST', `${SIM}/reset`, { topology: { ...demoTopology, volumes: [] } })
  t.match(refused, { status: 400, body: { scode: Scode.TOPOLOGY_FIXED.scode, desc: 'a cluster\'s agents serve slices of the topology it started with: restart cdp-sim cluster with --topology' } }, 'the desc says how to change it')
  t.equal((await rulesOf(agents[0]?.app as App)).length, 1, 'a refused reset clears nothing')
  t.equal(simulator.clock().now, START + 3n * SECOND)
  const reset = await call(control, 'POST', `${SIM}/reset`, {})
  t.equal(reset.status, 200, String(reset.body.desc))
  t.equal(simulator.clock().now, START, 'the clock is back at its start')
  for (const { app } of agents) t.strictSame(await rulesOf(app), [], 'every agent\'s rules are gone')
})

t.test('closing the cluster control closes its simulator', async (t) => {
  const agent = await openAgent(t)
  const simulator = openDemo(t)
  const control = await buildClusterControl({ simulator, agents: [agent.url] })
  await control.close()
  t.throws(() => simulator.clock(), 'the simulator is closed')
})

t.test('the cluster control logs through the logger it is given', async (t) => {
  const agent = await openAgent(t)
  const lines: Array<Record<string, unknown>> = []
  const logger = { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } }
  const control = await buildClusterControl({ simulator: openDemo(t), agents: [agent.url], logger })
  t.teardown(() => control.close())
  t.equal((await call(control, 'GET', `${SIM}/clock`)).status, 200)
  t.ok(lines.some((line) => line.msg === 'request completed'), 'the request is logged')
})
