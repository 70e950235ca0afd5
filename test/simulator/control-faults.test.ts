// Fault rules through /sim/v1/faults on the agent server: a bad rule is a 400 that stores
// nothing; a rule fails calls with its scode's envelope and status, delays them, or drops
// the connection so the production AgentBackend meets real resets; hits follow the seeded
// probability and stop at the rule's count.
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { buildAgentServer } from '../../simulator/agent-server.js'
import { createAgentBackend } from '../../src/backend/agent/backend.js'
import { AGENT_PREFIX } from '../../src/backend/agent/protocol.js'
import { Scode } from '../../src/errors.js'
import { call } from '../helpers/app.js'
import { openDemo, ref } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'

const FAULTS = '/sim/v1/faults'

async function openAgent (t: Test) {
  const app = await buildAgentServer({ simulator: openDemo(t) })
  t.teardown(() => app.close())
  return {
    app,
    addRule: async (rule: Record<string, unknown>) => await call(app, 'POST', FAULTS, rule),
    rules: async () => (await call(app, 'GET', FAULTS)).body.data.rules as Array<{ id: string, matched: number, fired: number }>,
    info: async (volumeUuid: string = DEMO.cdp1) => await call(app, 'POST', `${AGENT_PREFIX}/info`, { volume: ref(volumeUuid) })
  }
}

t.test('a bad rule is a 400 envelope and is not stored', async (t) => {
  const { addRule, rules } = await openAgent(t)
  const bad: Array<[string, Record<string, unknown>]> = [
    ['unknown operation', { operation: 'format', probability: 1, scode: 5002 }],
    ['probability above 1', { operation: 'info', probability: 1.5, scode: 5002 }],
    ['probability as text', { operation: 'info', probability: 'often', scode: 5002 }],
    ['scode not in the catalogue', { operation: 'info', probability: 1, scode: 9999 }],
    ['scode and drop', { operation: 'info', probability: 1, scode: 5002, drop: true }],
    ['no effect', { operation: 'info', probability: 1 }],
    ['count 0', { operation: 'info', probability: 1, count: 0, scode: 5002 }],
    ['latency over a minute', { operation: 'info', probability: 1, latency_ms: 60_001 }],
    ['seed above uint32', { operation: 'info', probability: 1, scode: 5002, seed: 2 ** 32 }],
    ['list with a volume', { operation: 'list', volume_uuid: DEMO.cdp1, probability: 1, scode: 5002 }],
    ['a volume that is no uuid', { operation: 'info', volume_uuid: 'cdp-1', probability: 1, scode: 5002 }],
    ['nbd_read without NBD exports', { operation: 'nbd_read', probability: 1, scode: 5002 }]
  ]
  for (const [what, rule] of bad) {
    const res = await addRule(rule)
    t.equal(res.status, 400, `${what}: 400`)
    t.ok([1002, 1003, 1004].includes(res.body.scode) && res.body.data === null, `${what}: envelope ${res.body.scode} ${res.body.desc}`)
  }
  t.strictSame(await rules(), [], 'no rule stored')
})

t.test('a rule with an scode fails the call with that envelope and status, only for its volume', async (t) => {
  const { addRule, rules, info } = await openAgent(t)
  const added = await addRule({ operation: 'info', volume_uuid: DEMO.cdp1.toUpperCase(), probability: 1, scode: Scode.SEGMENT_OFFLINE.scode, seed: 1 })
  t.equal(added.status, 200)
  t.match(added.body.data, { operation: 'info', volume_uuid: DEMO.cdp1, probability: 1, scode: 4008, seed: 1, matched: 0, fired: 0 })
  const hit = await info(DEMO.cdp1)
  t.equal(hit.status, 409)
  t.match(hit.body, { scode: 4008, message: Scode.SEGMENT_OFFLINE.message, data: null })
  t.equal((await info(DEMO.vol1)).body.scode, Scode.CDP_NOT_FOUND.scode, 'another volume meets the simulator itself')
  t.match(await rules(), [{ id: added.body.data.id, matched: 1, fired: 1 }])
})

t.test('a rule fires with its probability (seeded) and never after its count', async (t) => {
  const { addRule, rules, info } = await openAgent(t)
  await addRule({ operation: 'info', probability: 0.3, scode: Scode.AGENT_TIMEOUT.scode, seed: 20261201 })
  const statuses: number[] = []
  for (let i = 0; i < 1000; i++) statuses.push((await info()).status)
  const hits = statuses.filter((s) => s === 504).length
  t.ok(hits >= 250 && hits <= 350, `${hits} of 1000 hit at probability 0.3`)
  t.match(await rules(), [{ matched: 1000, fired: hits }])

  const again = await openAgent(t)
  await again.addRule({ operation: 'info', probability: 0.3, scode: Scode.AGENT_TIMEOUT.scode, seed: 20261201 })
  const replay: number[] = []
  for (let i = 0; i < 1000; i++) replay.push((await again.info()).status)
  t.strictSame(replay, statuses, 'the same seed hits the same calls')

  const bounded = await openAgent(t)
  await bounded.addRule({ operation: 'info', probability: 1, count: 3, scode: Scode.AGENT_TIMEOUT.scode })
  const counted: number[] = []
  for (let i = 0; i < 10; i++) counted.push((await bounded.info()).status)
  t.strictSame(counted, [504, 504, 504, 404, 404, 404, 404, 404, 404, 404], 'three hits, then the simulator answers (CDP_NOT_FOUND)')
  t.match(await bounded.rules(), [{ matched: 3, fired: 3 }])
})

t.test('latency delays the call and then lets it through', async (t) => {
  const { addRule, info } = await openAgent(t)
  await addRule({ operation: 'info', probability: 1, latency_ms: 300 })
  const start = performance.now()
  const res = await info()
  t.ok(performance.now() - start >= 300, 'answered after the delay')
  t.equal(res.body.scode, Scode.CDP_NOT_FOUND.scode, 'the simulator\'s own answer')
})

t.test('rules are removed one by one or all at once; an unknown id is FAULT_NOT_FOUND', async (t) => {
  const { app, addRule, rules, info } = await openAgent(t)
  const first = (await addRule({ operation: 'info', probability: 1, scode: 5002 })).body.data.id
  await addRule({ operation: 'revert', probability: 1, drop: true })
  const removed = await call(app, 'DELETE', `${FAULTS}/${first}`)
  t.strictSame(removed.body.data, { id: first })
  t.equal((await info()).body.scode, Scode.CDP_NOT_FOUND.scode, 'the removed rule no longer fires')
  const again = await call(app, 'DELETE', `${FAULTS}/${first}`)
  t.equal(again.status, 404)
  t.equal(again.body.scode, Scode.FAULT_NOT_FOUND.scode)
  t.strictSame((await call(app, 'DELETE', FAULTS)).body.data, { removed: 1 })
  t.strictSame(await rules(), [])
})

t.test('drop resets the connection: AgentBackend meets it as AGENT_UNREACHABLE, on every retry', async (t) => {
  const { app, addRule, rules } = await openAgent(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const backend = createAgentBackend({ routes: [{ cluster_uuid: DEMO.cluster, urls: [url] }], timeoutMs: 5000, retries: 2, concurrency: 4, backoffMs: 1 })
  t.teardown(() => backend.close())
  await addRule({ operation: 'info', probability: 1, drop: true })
  const error = await backend.info(ref(DEMO.cdp1)).then(() => undefined, (err: unknown) => err as { code: string, desc: string })
  t.equal(error?.code, 'AGENT_UNREACHABLE', `AGENT_UNREACHABLE (${error?.desc ?? ''})`)
  t.match(await rules(), [{ fired: 3 }], 'the first attempt and both retries were dropped')

  await call(app, 'DELETE', FAULTS)
  await addRule({ operation: 'info', probability: 1, count: 1, drop: true })
  await t.rejects(backend.info(ref(DEMO.cdp1)), { code: 'CDP_NOT_FOUND' }, 'one drop, then the retry reaches the simulator')
})

t.test('a rule naming one volume of a group fires for the group call; groupMembers names no volume', async (t) => {
  const { app, addRule, rules } = await openAgent(t)
  t.equal((await addRule({ operation: 'groupRevert', volume_uuid: DEMO.vol1, probability: 1, scode: Scode.BACKEND_UNAVAILABLE.scode })).status, 200)
  const group = await call(app, 'POST', `${AGENT_PREFIX}/group/revert`, { volumes: [ref(DEMO.cdp1), ref(DEMO.vol1)], timestamp: 1 })
  t.match(group, { status: 503, body: { scode: Scode.BACKEND_UNAVAILABLE.scode } })
  const other = await call(app, 'POST', `${AGENT_PREFIX}/group/revert`, { volumes: [ref(DEMO.cdp1)], timestamp: 1 })
  t.equal(other.body.scode, 0, 'a group without that volume is not hit')
  t.same((await rules()).map((r) => [r.matched, r.fired]), [[1, 1]])
  t.match(await addRule({ operation: 'groupMembers', volume_uuid: DEMO.vol1, probability: 1, scode: Scode.BACKEND_UNAVAILABLE.scode }),
    { status: 400, body: { scode: Scode.INVALID_PARAMETER.scode } })
})
