// AgentBackend against agents that misbehave: what each fault becomes, which calls are
// retried (counted at the agent), replica failover and replay, HTTP status rules, what an
// agent's INTERNAL detail may reach, recovery, and the bearer token.
import t from 'tap'
import { Scode } from '../../../../src/errors.js'
import { INFO, agentBackend, batchFrom, fail, failure, freePort, identity, ok, startAgent, wholeCluster, type Reply, type Seen } from '../../../helpers/fake-agent.js'
import { DEMO } from '../../../helpers/demo.js'

const VOLUME = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }
const POINT = { snapshot_name: 'CDP-auto-1630060807', timestamp: 1630060862000000007n }

const backend = agentBackend

t.test('a valid answer is decoded; uint64 times travel exactly both ways', async (t) => {
  const agent = await startAgent(t, ({ op }) => op === '/info' ? ok(INFO) : ok({}))
  const b = backend(t, wholeCluster(agent.url))
  t.strictSame(await b.info(VOLUME), INFO)
  await b.revert(VOLUME, POINT)
  const revert = agent.seen.find((seen) => seen.op === '/revert')
  t.equal(revert?.body.point.timestamp, 1630060862000000007n, 'sent as a JSON integer, digit for digit')
  t.strictSame(revert?.body.volume, VOLUME)
  t.equal(revert?.headers['content-type'], 'application/json')
})

t.test('an envelope with a scode becomes that catalogue entry, never retried', async (t) => {
  const agent = await startAgent(t, () => fail('VOLUME_NOT_FOUND', VOLUME.volume_uuid))
  const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
  t.equal(err.code, 'VOLUME_NOT_FOUND')
  t.equal(err.entry.status, 404)
  t.equal(err.desc, VOLUME.volume_uuid, 'the agent\'s detail passes through')
  t.equal(agent.count('/info'), 1)
})

t.test('an envelope with a scode the catalogue lacks is a bad response', async (t) => {
  const agent = await startAgent(t, () => ({ status: 409, body: JSON.stringify({ scode: 9999, desc: 'new', message: 'm', message_cn: 'm', stack: null, data: null }) }))
  const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
  t.equal(err.code, 'AGENT_BAD_RESPONSE')
  t.match(err.desc, /unknown scode 9999/)
})

const garbage: Array<[string, Reply, number]> = [
  ['a 500 with an HTML page', { status: 500, body: '<html><body>Internal Server Error</body></html>' }, 3],
  ['a 502 with an empty body', { status: 502, body: '' }, 3],
  ['a 200 with invalid JSON', { status: 200, body: '{"scode":0,' }, 1],
  ['a 200 with JSON that is not an envelope', { status: 200, body: '{"ok":true}' }, 1],
  ['a 200 with a __proto__ key', { status: 200, body: '{"__proto__":{},"scode":0}' }, 1],
  ['an envelope whose data has the wrong shape', ok({ cdp_info: 'none', host_uuid: '' }), 1],
  ['an envelope whose uint64 is negative', ok({ ...INFO, cdp_info: [{ ...INFO.cdp_info[0], seq: -1 }] }), 1]
]
for (const [what, reply, requests] of garbage) {
  t.test(`${what} is AGENT_BAD_RESPONSE (502), retried only when it was a 5xx`, async (t) => {
    const agent = await startAgent(t, () => reply)
    const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
    t.equal(err.code, 'AGENT_BAD_RESPONSE')
    t.equal(err.entry.status, 502)
    t.match(err.desc, agent.url, 'the detail names the agent')
    t.equal(agent.count('/info'), requests)
  })
}

t.test('an agent that never answers is cut off: AGENT_TIMEOUT, retried for an idempotent call', async (t) => {
  const agent = await startAgent(t, () => 'hang')
  const err = await failure(backend(t, wholeCluster(agent.url), { timeoutMs: 100 }).info(VOLUME))
  t.equal(err.code, 'AGENT_TIMEOUT')
  t.equal(err.entry.status, 504)
  t.equal(agent.count('/info'), 3, 'one attempt and two retries')
})

t.test('non-idempotent calls are sent once, whatever the failure', async (t) => {
  const agent = await startAgent(t, ({ op }) => op === '/clean' ? 'hang' : { status: 500, body: 'oops' })
  const b = backend(t, wholeCluster(agent.url), { timeoutMs: 100 })
  t.equal((await failure(b.clean(VOLUME))).code, 'AGENT_TIMEOUT')
  t.equal((await failure(b.revert(VOLUME, POINT))).code, 'AGENT_BAD_RESPONSE')
  t.equal((await failure(b.viewOn(VOLUME, POINT))).code, 'AGENT_BAD_RESPONSE')
  t.equal((await failure(b.viewOff(VOLUME))).code, 'AGENT_BAD_RESPONSE')
  t.strictSame(agent.seen.map((seen) => seen.op), ['/clean', '/revert', '/view/on', '/view/off'])
})

t.test('retries 0 means one attempt', async (t) => {
  const agent = await startAgent(t, () => ({ status: 503, body: 'busy' }))
  const [outcome] = await backend(t, wholeCluster(agent.url), { retries: 0 }).enable([VOLUME])
  t.match(outcome, { ok: false, error: { code: 'AGENT_BAD_RESPONSE' } }, 'a batch reports the failure per volume')
  t.equal(agent.count('/enable'), 1)
})

t.test('a transient 5xx is retried and the call succeeds', async (t) => {
  let calls = 0
  const agent = await startAgent(t, () => ++calls === 1 ? { status: 500, body: 'starting' } : ok(INFO))
  t.strictSame(await backend(t, wholeCluster(agent.url)).info(VOLUME), INFO)
  t.equal(agent.count('/info'), 2)
})

t.test('a connection reset is AGENT_UNREACHABLE', async (t) => {
  const agent = await startAgent(t, () => 'reset')
  const err = await failure(backend(t, wholeCluster(agent.url), { retries: 0 }).info(VOLUME))
  t.equal(err.code, 'AGENT_UNREACHABLE')
  t.equal(err.entry.status, 502)
})

t.test('an agent that is down is AGENT_UNREACHABLE; when it comes back, calls succeed again', async (t) => {
  const port = await freePort()
  const b = backend(t, wholeCluster(`http://127.0.0.1:${port}`))
  const err = await failure(b.info(VOLUME))
  t.equal(err.code, 'AGENT_UNREACHABLE')
  t.match(err.desc, `127.0.0.1:${port}`)
  const agent = await startAgent(t, () => ok(INFO), { port })
  t.strictSame(await b.info(VOLUME), INFO, 'the same backend, no restart')
  await agent.close()
  t.equal((await failure(b.info(VOLUME))).code, 'AGENT_UNREACHABLE', 'down again')
  await startAgent(t, () => ok(INFO), { port })
  t.strictSame(await b.info(VOLUME), INFO, 'and back again')
})

t.test('replicas: an unreachable first URL hands over to the next', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  const live = await startAgent(t, ({ op }) => op === '/info' ? ok(INFO) : ok({}))
  const b = backend(t, wholeCluster(dead, live.url), { retries: 0 })
  t.strictSame(await b.info(VOLUME), INFO)
  await b.revert(VOLUME, POINT)
  t.equal(live.count('/revert'), 1, 'a refused connection never reached the first replica, so even revert moves on')
})

t.test('replicas: a non-idempotent call that may have reached the first replica is not repeated on the next', async (t) => {
  const slow = await startAgent(t, () => 'hang')
  const live = await startAgent(t, () => ok({}))
  const b = backend(t, wholeCluster(slow.url, live.url), { timeoutMs: 100 })
  t.equal((await failure(b.revert(VOLUME, POINT))).code, 'AGENT_TIMEOUT')
  t.equal(slow.count('/revert'), 1)
  t.equal(live.count('/revert'), 0)
  t.strictSame(await b.enable([VOLUME]).then(() => live.count('/enable')), 1, 'an idempotent call moves on to the next replica')
})

t.test('the bearer token is sent on every call; without one, no Authorization header', async (t) => {
  const script = ({ op }: Seen): Reply => op === '/info' ? ok(INFO) : ok({ protocol: 1 })
  const agent = await startAgent(t, script)
  const withToken = backend(t, wholeCluster(agent.url), { token: 's3cret' })
  await withToken.info(VOLUME)
  await withToken.ready()
  const asked = [...agent.seen, ...agent.health]
  t.ok(asked.length >= 2)
  t.ok(asked.every((seen) => seen.headers.authorization === 'Bearer s3cret'), 'health included')
  const plain = await startAgent(t, script)
  await backend(t, wholeCluster(plain.url)).info(VOLUME)
  t.strictSame(plain.seen.map((seen) => seen.headers.authorization), [undefined])
})

t.test('an agent URL with a path prefix keeps it', async (t) => {
  const agent = await startAgent(t, () => ok(INFO))
  await backend(t, wholeCluster(`${agent.url}/cdp/`)).info(VOLUME)
  t.equal(agent.seen[0]?.op, '/cdp/agent/v1/info')
})

t.test('a redirect is never followed and never success, whatever envelope it carries', async (t) => {
  const elsewhere = await startAgent(t, () => ok(INFO))
  const agent = await startAgent(t, () => ({ ...ok(INFO), status: 307, headers: { location: `${elsewhere.url}/agent/v1/info` } }))
  const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
  t.equal(err.code, 'AGENT_BAD_RESPONSE')
  t.match(err.desc, /redirect.*HTTP 307/)
  t.equal(agent.count('/info'), 1, 'not retried')
  t.equal(elsewhere.seen.length, 0, 'the Location was not visited')
})

const failureStatuses: Array<[number, number]> = [[500, 3], [503, 3], [404, 1]]
for (const [status, requests] of failureStatuses) {
  t.test(`a success envelope under HTTP ${status} is AGENT_BAD_RESPONSE, retried only as a 5xx`, async (t) => {
    const agent = await startAgent(t, () => ({ ...ok(INFO), status }))
    const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
    t.equal(err.code, 'AGENT_BAD_RESPONSE')
    t.match(err.desc, `HTTP ${status}`)
    t.equal(agent.count('/info'), requests)
  })
}

/** A log that keeps what it is told. */
function capturingLog () {
  const lines: Array<{ details: Record<string, unknown>, message: string }> = []
  return { lines, log: { error: (details: Record<string, unknown>, message: string) => { lines.push({ details, message }) } } }
}

const LEAK = 'SQLITE_CORRUPT: database disk image is malformed at /var/lib/cdp/agent.db'

t.test('an agent\'s INTERNAL detail goes to the log, and the caller gets the catalogue\'s fixed text', async (t) => {
  const agent = await startAgent(t, () => fail('INTERNAL', LEAK))
  const { lines, log } = capturingLog()
  const err = await failure(backend(t, wholeCluster(agent.url), { log }).info(VOLUME))
  t.equal(err.code, 'INTERNAL')
  t.equal(err.desc, '')
  t.equal(err.message, 'internal error')
  t.strictSame(lines, [{ details: { agent: agent.url, operation: 'info', desc: LEAK }, message: 'node agent reported an internal error' }])
})

t.test('a batch item\'s INTERNAL detail goes to the log; the item keeps its scode and the other items their detail', async (t) => {
  const other = 'aaaaaaaa-0000-4000-8000-000000000001'
  const agent = await startAgent(t, ({ body }) => ok({
    results: (body.volumes as Array<{ volume_uuid: string }>).map(({ volume_uuid: uuid }) => uuid === VOLUME.volume_uuid
      ? { scode: Scode.INTERNAL.scode, desc: LEAK, volume: identity(uuid) }
      : { scode: Scode.CDP_IS_ON.scode, desc: 'disable it first', volume: identity(uuid) })
  }))
  const { lines, log } = capturingLog()
  const [leaky, refused] = await backend(t, wholeCluster(agent.url), { log }).enable([VOLUME, { cluster_uuid: DEMO.cluster, volume_uuid: other }])
  t.match(leaky, { ok: false, error: { code: 'INTERNAL', desc: '' } })
  t.match(refused, { ok: false, error: { code: 'CDP_IS_ON', desc: 'disable it first' } })
  t.strictSame(lines.map(({ details }) => details), [{ agent: agent.url, operation: 'enable', desc: LEAK }])
})

const nonIdempotent: Array<[string, (b: ReturnType<typeof backend>) => Promise<unknown>, string]> = [
  ['revert', async (b) => await b.revert(VOLUME, POINT), '/revert'],
  ['view on', async (b) => await b.viewOn(VOLUME, POINT), '/view/on'],
  ['view off', async (b) => await b.viewOff(VOLUME), '/view/off'],
  ['clean', async (b) => await b.clean(VOLUME, 0n), '/clean']
]
for (const [what, call, op] of nonIdempotent) {
  t.test(`${what} is not replayed on a second replica after the first read it and reset the connection`, async (t) => {
    const first = await startAgent(t, () => 'reset')
    const second = await startAgent(t, () => ok({ host_uuid: 'h' }))
    const err = await failure(call(backend(t, wholeCluster(first.url, second.url))))
    t.equal(err.code, 'AGENT_UNREACHABLE')
    t.match(err.desc, first.url)
    t.equal(first.count(op), 1, 'the first replica received it whole')
    t.equal(second.count(op), 0, 'and the second never did')
  })
}

t.test('idempotent calls do move on to the next replica after a reset', async (t) => {
  const first = await startAgent(t, () => 'reset')
  const second = await startAgent(t, ({ op }) => op === '/info' ? ok(INFO) : batchFrom([VOLUME.volume_uuid])({ op, body: { volumes: [VOLUME] }, headers: {} }))
  const b = backend(t, wholeCluster(first.url, second.url), { retries: 0 })
  t.strictSame(await b.info(VOLUME), INFO)
  t.match(await b.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 86400n }, [VOLUME]), [{ ok: true }])
  t.match(await b.enable([VOLUME]), [{ ok: true }])
  t.match(await b.disable([VOLUME]), [{ ok: true }])
  t.strictSame(second.seen.map((seen) => seen.op), ['/info', '/edit', '/enable', '/disable'])
})

t.test('when every replica fails, the error names each one tried and what it did', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  const silent = await startAgent(t, () => 'hang')
  const err = await failure(backend(t, wholeCluster(dead, silent.url), { retries: 1, timeoutMs: 100 }).info(VOLUME))
  t.equal(err.code, 'AGENT_TIMEOUT', 'the kind of the last failure')
  t.equal(err.desc, `${dead}: ECONNREFUSED; ${silent.url}: no answer within the deadline`)
  t.equal(silent.count('/info'), 2, 'each round tried both')
})

t.test('a non-idempotent call that fails on every replica it may try names each one', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  const resetting = await startAgent(t, () => 'reset')
  const err = await failure(backend(t, wholeCluster(dead, resetting.url)).revert(VOLUME, POINT))
  t.equal(err.code, 'AGENT_UNREACHABLE')
  t.match(err.desc, new RegExp(`^${dead}: ECONNREFUSED; ${resetting.url}: `))
})
