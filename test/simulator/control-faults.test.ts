// Fault rules through /sim/v1/faults on the agent server: a bad rule is a 400 that stores
// nothing; a rule fails calls with its scode's envelope and status, delays them, or drops
// the connection so the production AgentBackend meets real resets; hits follow the seeded
// probability and stop at the rule's count.
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { buildAgentServer } from '../../simulator/agent-server.js'
import { FaultRules, type FaultRuleInput, withFaults } from '../../simulator/faults.js'
import type { CdpOperation, VolumeRef } from '../../src/backend/port.js'
import { createAgentBackend } from '../../src/backend/agent/backend.js'
import { AGENT_PREFIX } from '../../src/backend/agent/protocol.js'
import { Scode } from '../../src/errors.js'
import { call, servedDocs } from '../helpers/app.js'
import { failure, openDemo, policy, ref } from '../helpers/simulator.js'
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
    ['probability 2, an integer', { operation: 'info', probability: 2, scode: 5002 }],
    ['probability -1, an integer', { operation: 'info', probability: -1, scode: 5002 }],
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

t.test('a rule id that is no uuid is INVALID_UUID when removing, not FAULT_NOT_FOUND', async (t) => {
  const { app, addRule, rules } = await openAgent(t)
  await addRule({ operation: 'info', probability: 1, scode: 5002 })
  const res = await call(app, 'DELETE', `${FAULTS}/not-a-uuid`)
  t.equal(res.status, 400)
  t.equal(res.body.scode, Scode.INVALID_UUID.scode)
  t.equal((await rules()).length, 1, 'the rule stays')
})

t.test('the fault routes are documented: each has a summary; every field of a rule, asked or answered, and the id in the path a description', async (t) => {
  const doc = await servedDocs()
  const faults = doc.paths[FAULTS]
  const byId = doc.paths[`${FAULTS}/{id}`]
  const operations: Array<[string, any]> = [['POST', faults?.post], ['GET', faults?.get], ['DELETE', faults?.delete], ['DELETE by id', byId?.delete]]
  for (const [what, op] of operations) t.match(op?.summary, /\S/, `${what}: a summary`)
  const described = (what: string, properties: Record<string, { description?: string }> | undefined, names: string[]): void => {
    t.same(Object.keys(properties ?? {}).sort(), [...names].sort(), `${what}: its fields`)
    for (const [name, schema] of Object.entries(properties ?? {})) t.match(schema.description, /\S/, `${what}: ${name} described`)
  }
  const fields = ['operation', 'volume_uuid', 'probability', 'count', 'latency_ms', 'scode', 'drop', 'seed']
  described('the rule asked for', faults?.post?.requestBody?.content?.['application/json']?.schema?.properties, [...fields, 'id'])
  const data = (op: any): any => op?.responses?.['200']?.content?.['application/json']?.schema?.properties?.data
  const record = [...fields, 'id', 'matched', 'fired']
  described('the rule added', data(faults?.post)?.properties, record)
  described('the rules listed', data(faults?.get)?.properties?.rules?.items?.properties, record)
  t.match(data(faults?.post)?.properties?.probability, { minimum: 0, maximum: 1 }, 'an answered probability is 0 to 1')
  t.match(faults?.post?.requestBody?.content?.['application/json']?.schema?.properties?.probability?.anyOf?.[0], { type: 'integer', minimum: 0, maximum: 1 }, 'an asked integer probability is 0 or 1')
  const id = byId?.delete?.parameters?.find((p: { in: string, name: string }) => p.in === 'path' && p.name === 'id')
  t.match(id, { schema: { format: 'uuid' }, description: /\S/ }, 'the id in the path: a uuid, described')
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

// FaultRules and withFaults themselves, without a server: the descs of bad rules, ids, which
// rule decides, and the volumes each operation's call names.
t.test('a bad rule\'s desc says what is wrong with it', async (t) => {
  const rules = new FaultRules()
  rules.add({ id: 'RULE-A', operation: 'info', probability: 1, scode: 5002 })
  const descs: Array<[FaultRuleInput, string]> = [
    [{ operation: 'nbd_read', probability: 1, scode: 5002 }, 'operation nbd_read is not served by this simulator (NBD exports do not exist here)'],
    [{ operation: 'info', probability: 1, scode: 5002, drop: true }, 'give scode or drop, not both'],
    [{ operation: 'info', probability: 1 }, 'a rule needs an effect: scode, drop or latency_ms'],
    [{ operation: 'info', probability: 1, latency_ms: 0, drop: false }, 'a rule needs an effect: scode, drop or latency_ms'],
    [{ operation: 'info', probability: 1, scode: 9999 }, 'scode 9999 is not in the catalogue'],
    [{ operation: 'list', volume_uuid: DEMO.cdp1, probability: 1, scode: 5002 }, 'list names no volume: leave volume_uuid out'],
    [{ operation: 'groupMembers', volume_uuid: DEMO.cdp1, probability: 1, scode: 5002 }, 'groupMembers names no volume: leave volume_uuid out'],
    [{ id: 'rule-a', operation: 'info', probability: 1, scode: 5002 }, 'a rule with id rule-a exists']
  ]
  for (const [input, desc] of descs) t.throws(() => rules.add(input), { code: 'INVALID_PARAMETER', desc }, desc)
  t.strictSame(rules.list().map((r) => r.id), ['rule-a'], 'only the first rule, its id in lower case')
  t.strictSame(rules.add({ id: 'b', operation: 'list', probability: 0.5, scode: 5002, seed: 7 }),
    { id: 'b', operation: 'list', probability: 0.5, scode: 5002, seed: 7, matched: 0, fired: 0 }, 'a list rule without a volume is fine, and holds only what was given')
  t.strictSame(rules.add({ id: 'c', operation: 'info', probability: 1, count: 2, latency_ms: 3, seed: 8 }),
    { id: 'c', operation: 'info', probability: 1, count: 2, latency_ms: 3, seed: 8, matched: 0, fired: 0 })
  rules.remove('b')
  rules.remove('c')
  t.ok(rules.remove('RULE-A'), 'removed by its id in any case')
  t.strictSame(rules.list(), [])
})

t.test('the first rule that hits decides; a spent rule neither draws nor counts', async (t) => {
  const rules = new FaultRules()
  rules.add({ operation: 'info', probability: 1, count: 1, scode: Scode.AGENT_TIMEOUT.scode, seed: 1 })
  rules.add({ operation: 'info', probability: 1, latency_ms: 5, drop: true, seed: 2 })
  t.strictSame(rules.decide('info'), { latencyMs: 0, scode: Scode.AGENT_TIMEOUT.scode, drop: false })
  const second = rules.decide('info')
  t.strictSame([second, Object.keys(second ?? {})], [{ latencyMs: 5, drop: true }, ['latencyMs', 'drop']], 'the first is spent: the second decides, with no scode')
  t.strictSame(rules.list().map((r) => [r.matched, r.fired]), [[1, 1], [1, 1]])
  t.equal(rules.decide('revert'), undefined, 'no rule for another operation')
  t.strictSame(rules.list().map((r) => r.matched), [1, 1])
})

t.test('withFaults finds the volumes each operation names in its arguments, in any case', async (t) => {
  const sim = openDemo(t)
  const rules = new FaultRules()
  const guarded = withFaults(sim, rules)
  const volumes = [ref(DEMO.vol1.toUpperCase())]
  const point = { snapshot_name: 's', timestamp: 1n }
  const calls: Array<[CdpOperation, () => Promise<unknown>]> = [
    ['edit', async () => await guarded.edit(policy(1n << 30n, 3600n), volumes)],
    ['enable', async () => await guarded.enable(volumes)],
    ['disable', async () => await guarded.disable(volumes)],
    ['groupViewOn', async () => await guarded.groupViewOn(volumes, 1n)],
    ['groupViewOff', async () => await guarded.groupViewOff(volumes)],
    ['groupRevert', async () => await guarded.groupRevert(volumes, 1n)],
    ['info', async () => await guarded.info(volumes[0] as VolumeRef)],
    ['viewOn', async () => await guarded.viewOn(volumes[0] as VolumeRef, point)]
  ]
  for (const [operation, call] of calls) {
    rules.add({ operation, volume_uuid: DEMO.vol1, probability: 1, scode: Scode.BACKEND_UNAVAILABLE.scode })
    await t.rejects(call(), { code: 'BACKEND_UNAVAILABLE', desc: 'injected by a simulator fault rule' }, `${operation}: the rule for its volume fires`)
    rules.clear()
    rules.add({ operation, volume_uuid: DEMO.cdp1, probability: 1, scode: Scode.BACKEND_UNAVAILABLE.scode })
    t.not(await failure(call), 'BACKEND_UNAVAILABLE', `${operation}: a rule for another volume does not`)
    t.equal(rules.clear(), 1)
  }
  rules.add({ operation: 'protection', volume_uuid: DEMO.vol1, probability: 1, scode: Scode.BACKEND_UNAVAILABLE.scode })
  t.equal(await failure(async () => await guarded.protection(10)), 'no error', 'protection names no volume: a rule naming one never fires')
})
