// AgentBackend against agents that misbehave: what each fault becomes, which calls are
// retried (counted at the agent), replica failover and replay, HTTP status rules, what an
// agent's INTERNAL detail may reach, recovery, and the bearer token.
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { AddressInfo, Socket } from 'node:net'
import t from 'tap'
import { backoff } from '../../../../src/backend/agent/client.js'
import { Scode } from '../../../../src/errors.js'
import { UINT64_STRINGS_MEDIA } from '../../../../src/backend/agent/protocol.js'
import { HEALTH_WITH_STRINGS, INFO, agentBackend, batchFrom, fail, failure, freePort, identity, ok, okStrings, startAgent, wholeCluster, type Reply, type Seen } from '../../../helpers/fake-agent.js'
import { DEMO } from '../../../helpers/demo.js'
import type { Teardown } from '../../../helpers/app.js'

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

t.test('an agent that lacks the operation (ROUTE_NOT_FOUND) is AGENT_OPERATION_UNSUPPORTED naming the agent and the operation, not retried', async (t) => {
  const agent = await startAgent(t, (seen) => fail('ROUTE_NOT_FOUND', `POST /agent/v1${seen.op}`))
  const err = await failure(backend(t, wholeCluster(agent.url)).window(VOLUME))
  t.strictSame([err.code, err.entry.status, err.desc], ['AGENT_OPERATION_UNSUPPORTED', 501, `${agent.url}: window`])
  t.equal(agent.count('/window'), 1)
})

t.test('an envelope with a scode the catalogue lacks is a bad response', async (t) => {
  const agent = await startAgent(t, () => ({ status: 409, body: JSON.stringify({ scode: 9999, desc: 'new', message: 'm', message_cn: 'm', stack: null, data: null }) }))
  const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
  t.equal(err.code, 'AGENT_BAD_RESPONSE')
  t.match(err.desc, /unknown scode 9999/)
})

/** What was wrong, as the detail after the agent's URL says it. */
const garbage: Array<[string, Reply, number, RegExp]> = [
  ['a 500 with an HTML page', { status: 500, body: '<html><body>Internal Server Error</body></html>' }, 3, /^answer is not JSON \(HTTP 500\)$/],
  ['a 502 with an empty body', { status: 502, body: '' }, 3, /^answer is not JSON \(HTTP 502\)$/],
  ['a 200 with invalid JSON', { status: 200, body: '{"scode":0,' }, 1, /^answer is not JSON \(HTTP 200\)$/],
  ['a 200 with JSON that is not an envelope', { status: 200, body: '{"ok":true}' }, 1, /^answer is not an agent envelope \(HTTP 200\)$/],
  ['a 200 with a __proto__ key', { status: 200, body: '{"__proto__":{},"scode":0}' }, 1, /^answer is not JSON \(HTTP 200\)$/],
  ['an envelope whose data has the wrong shape', ok({ cdp_info: 'none', host_uuid: '' }), 1, /cdp_info/],
  ['an envelope whose uint64 is negative', ok({ ...INFO, cdp_info: [{ ...INFO.cdp_info[0], seq: -1 }] }), 1, /seq/]
]
for (const [what, reply, requests, detail] of garbage) {
  t.test(`${what} is AGENT_BAD_RESPONSE (502), retried only when it was a 5xx`, async (t) => {
    const agent = await startAgent(t, () => reply)
    const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
    t.equal(err.code, 'AGENT_BAD_RESPONSE')
    t.equal(err.entry.status, 502)
    t.ok(err.desc.startsWith(`${agent.url}: `), 'the detail names the agent')
    t.match(err.desc.slice(agent.url.length + 2), detail, 'and says what was wrong')
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
  // 1 s, not less: on a loaded machine a shorter deadline can pass before the hanging agent
  // has even read the request (then nothing says it reached it), or before the live one answers.
  const b = backend(t, wholeCluster(slow.url, live.url), { timeoutMs: 1000 })
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
  await backend(t, wholeCluster(`${agent.url}/cdp//`)).info(VOLUME)
  await backend(t, wholeCluster(`${agent.url}/a/b`)).info(VOLUME)
  t.strictSame(agent.seen.flatMap(({ op }) => op.endsWith('/info') ? [op] : []), ['/cdp/agent/v1/info', '/cdp/agent/v1/info', '/a/b/agent/v1/info'], 'its trailing slashes dropped')
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

t.test('every status from 300 to 399 is a redirect, whatever it carries; a 400 with an envelope is that envelope\'s entry', async (t) => {
  for (const status of [300, 399]) {
    const agent = await startAgent(t, () => ({ ...fail('VOLUME_NOT_FOUND'), status }))
    const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
    t.equal(err.code, 'AGENT_BAD_RESPONSE', `HTTP ${status}`)
    t.equal(err.desc, `${agent.url}: a redirect, which is never followed (HTTP ${status})`)
  }
  const agent = await startAgent(t, () => fail('INVALID_PARAMETER', 'volume.volume_uuid'))
  const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
  t.equal(err.code, 'INVALID_PARAMETER')
  t.equal(err.desc, 'volume.volume_uuid')
})

const failureStatuses: Array<[number, number]> = [[500, 3], [503, 3], [404, 1]]
for (const [status, requests] of failureStatuses) {
  t.test(`a success envelope under HTTP ${status} is AGENT_BAD_RESPONSE, retried only as a 5xx`, async (t) => {
    const agent = await startAgent(t, () => ({ ...ok(INFO), status }))
    const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
    t.equal(err.code, 'AGENT_BAD_RESPONSE')
    t.equal(err.desc, `${agent.url}: a success envelope under a failure status (HTTP ${status})`)
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
  const unlogged = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
  t.strictSame([unlogged.code, unlogged.desc], ['INTERNAL', ''], 'without a log, the detail is dropped all the same')
})

const batches: Array<[string, (b: ReturnType<typeof backend>, volumes: typeof VOLUME[]) => Promise<unknown[]>]> = [
  ['edit', async (b, volumes) => await b.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 86400n }, volumes)],
  ['enable', async (b, volumes) => await b.enable(volumes)],
  ['disable', async (b, volumes) => await b.disable(volumes)]
]
for (const [op, call] of batches) {
  t.test(`a batch item's INTERNAL detail goes to the log; the item keeps its scode and the other items their detail (${op})`, async (t) => {
    const other = 'aaaaaaaa-0000-4000-8000-000000000001'
    const agent = await startAgent(t, ({ body }) => ok({
      results: (body.volumes as Array<{ volume_uuid: string }>).map(({ volume_uuid: uuid }) => uuid === VOLUME.volume_uuid
        ? { scode: Scode.INTERNAL.scode, desc: LEAK, volume: identity(uuid) }
        : { scode: Scode.CDP_IS_ON.scode, desc: 'disable it first', volume: identity(uuid) })
    }))
    const { lines, log } = capturingLog()
    const [leaky, refused] = await call(backend(t, wholeCluster(agent.url), { log }), [VOLUME, { cluster_uuid: DEMO.cluster, volume_uuid: other }])
    t.match(leaky, { ok: false, error: { code: 'INTERNAL', desc: '' } })
    t.match(refused, { ok: false, error: { code: 'CDP_IS_ON', desc: 'disable it first' } })
    t.strictSame(lines.map(({ details }) => details), [{ agent: agent.url, operation: op, desc: LEAK }])
  })
}

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

t.test('a non-idempotent call the first replica answered with a 5xx page is not replayed on the next', async (t) => {
  const first = await startAgent(t, () => ({ status: 500, body: '<html>oops</html>' }))
  const second = await startAgent(t, () => ok({}))
  t.equal((await failure(backend(t, wholeCluster(first.url, second.url)).revert(VOLUME, POINT))).code, 'AGENT_BAD_RESPONSE')
  t.equal(first.count('/revert'), 1)
  t.equal(second.count('/revert'), 0)
})

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

t.test('every attempt is told: the operation, the agent, how long it took, and its scode (0: answered)', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  let calls = 0
  const agent = await startAgent(t, () => ++calls === 1 ? { status: 503, body: 'busy' } : ok(INFO))
  const attempts: Array<{ operation: string, agent: string, seconds: number, scode: number }> = []
  const b = backend(t, wholeCluster(dead, agent.url), { onAttempt: (operation, url, seconds, scode) => { attempts.push({ operation, agent: url, seconds, scode }) } })
  const start = performance.now()
  t.strictSame(await b.info(VOLUME), INFO)
  const elapsed = (performance.now() - start) / 1000
  t.strictSame(attempts.map(({ operation, agent, scode }) => [operation, agent, scode]), [
    ['info', dead, Scode.AGENT_UNREACHABLE.scode],
    ['info', agent.url, Scode.AGENT_BAD_RESPONSE.scode],
    ['info', dead, Scode.AGENT_UNREACHABLE.scode],
    ['info', agent.url, 0]
  ], 'each replica of each round, in order')
  t.ok(attempts.every(({ seconds }) => seconds >= 0 && seconds <= elapsed), `each within the call's ${elapsed} s`)
})

t.test('health is always asked in plain v1, even of an agent that said it writes uint64 strings', async (t) => {
  const agent = await startAgent(t, ({ op }) => op === '/health' ? HEALTH_WITH_STRINGS : okStrings(INFO))
  const b = backend(t, wholeCluster(agent.url))
  await b.ready()
  t.strictSame(await b.info(VOLUME), INFO)
  await b.ready()
  t.equal(agent.seen[0]?.headers.accept, UINT64_STRINGS_MEDIA, 'its other calls are asked for strings')
  t.strictSame(agent.health.map(({ headers }) => headers.accept), [undefined, undefined])
})

t.test('while an agent\'s health is on its way, its further answers ask for it no second time', async (t) => {
  let release: () => void = () => {}
  const released = new Promise<void>((resolve) => { release = resolve })
  const agent = await startAgent(t, async ({ op }) => {
    if (op !== '/health') return ok(INFO)
    await released
    return ok({ protocol: 1 })
  })
  const b = backend(t, wholeCluster(agent.url))
  for (let i = 0; i < 4; i++) t.strictSame(await b.info(VOLUME), INFO)
  release()
  // ready's own health is answered after the background one was sent: both are counted by then.
  await b.ready()
  t.equal(agent.count('/health'), 2, 'one in the background, one for ready')
})

t.test('a non-idempotent call is one round even when it was never sent, and ready asks each agent once', async (t) => {
  const dead = `http://127.0.0.1:${await freePort()}`
  const attempts: string[] = []
  const b = backend(t, wholeCluster(dead), { retries: 2, onAttempt: (operation) => { attempts.push(operation) } })
  t.equal((await failure(b.revert(VOLUME, POINT))).code, 'AGENT_UNREACHABLE')
  t.strictSame(attempts, ['revert'], 'a revert is not retried, even to an agent that is down')
  attempts.length = 0
  t.equal((await failure(b.ready())).code, 'BACKEND_UNAVAILABLE')
  t.strictSame(attempts, ['health'], 'the readiness check asks health once')
})

t.test('the health asked in the background after an answer is not retried when it fails', async (t) => {
  const agent = await startAgent(t, ({ op }) => op === '/health' ? { status: 503, body: 'busy' } : ok(INFO))
  const b = backend(t, wholeCluster(agent.url), { backoffMs: 0 })
  t.strictSame(await b.info(VOLUME), INFO)
  for (let waits = 0; waits < 100 && agent.health.length === 0; waits++) await new Promise((resolve) => setTimeout(resolve, 10))
  // ready's own health goes out after the background one failed (and would have been retried at once).
  t.equal((await failure(b.ready())).code, 'BACKEND_UNAVAILABLE')
  t.equal(agent.count('/health'), 2, 'one in the background, one for ready')
})

t.test('each retry waits a random part of a ceiling that starts at backoffMs (default 100 ms), doubles, and stops at 2 s', async (t) => {
  t.equal(backoff(1, 40, 0.5), 20)
  t.equal(backoff(2, 40, 0.5), 40)
  t.equal(backoff(3, 40, 1), 160)
  t.equal(backoff(1, undefined, 1), 100, 'the default')
  t.equal(backoff(2, 0, 1), 0, 'backoffMs 0: no wait')
  t.equal(backoff(6, 100, 1), 2000, '3,200 ms is cut to 2 s')
  t.equal(backoff(2, 1500, 0.5), 1000, 'the cap applies before the jitter')
  t.equal(backoff(4, 40, 0), 0)
})

t.test('a retry does wait: with the jitter at its top, two retries take at least the first two ceilings', async (t) => {
  const random = Math.random
  Math.random = () => 0.999
  t.teardown(() => { Math.random = random })
  let calls = 0
  const agent = await startAgent(t, () => ++calls <= 2 ? { status: 503, body: 'busy' } : ok(INFO))
  const b = backend(t, wholeCluster(agent.url), { backoffMs: 200 })
  const start = performance.now()
  t.strictSame(await b.info(VOLUME), INFO)
  const waited = performance.now() - start
  t.ok(waited >= 0.999 * (200 + 400), `${waited.toFixed(0)} ms for waits of 200 and 400 ms`)
})

/** A bare agent that answers `health` and then every call with `INFO`, and keeps its sockets. */
async function socketAgent (t: Teardown): Promise<{ url: string, sockets: Socket[] }> {
  const sockets: Socket[] = []
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }).end(ok(req.url?.endsWith('/health') === true ? { protocol: 1 } : INFO).body) })
  })
  server.on('connection', (socket) => sockets.push(socket))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets }
}

t.test('calls to one agent reuse its keep-alive connections', async (t) => {
  const agent = await socketAgent(t)
  const b = backend(t, wholeCluster(agent.url))
  // Health first, so that no background call runs beside the others.
  await b.ready()
  for (let i = 0; i < 10; i++) t.strictSame(await b.info(VOLUME), INFO)
  // (undici may open a second one while the first is being handed back.)
  t.ok(agent.sockets.length <= 2, `health and ten calls one after another: ${agent.sockets.length} connections`)
})

t.test('closing the backend ends every connection it holds to the agents', async (t) => {
  const agent = await socketAgent(t)
  const b = backend(t, wholeCluster(agent.url))
  await b.ready()
  t.strictSame(await b.info(VOLUME), INFO)
  t.ok(agent.sockets.length > 0, 'connections were open')
  await b.close()
  // close() resolves once the client's sockets are closed, so their FIN is in: a turn of the loop delivers it.
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.strictSame(agent.sockets.map((socket) => socket.destroyed), agent.sockets.map(() => true), 'every connection ended, none left for the keep-alive to time out')
})

t.test('a call answered at its first attempt draws no backoff; each retry draws one', async (t) => {
  const random = Math.random
  let draws = 0
  Math.random = () => { draws++; return 0 }
  t.teardown(() => { Math.random = random })
  let infos = 0
  // The second and third info calls get a 503 page (retryable); every other call is answered.
  const agent = await startAgent(t, ({ op }) => op !== '/info' ? ok({ protocol: 1 }) : [2, 3].includes(++infos) ? { status: 503, body: 'busy' } : ok(INFO))
  const b = backend(t, wholeCluster(agent.url), { retries: 2 })
  await b.ready()
  t.strictSame(await b.info(VOLUME), INFO)
  t.equal(draws, 0, 'answered at once: no wait drawn')
  t.strictSame(await b.info(VOLUME), INFO)
  t.equal(infos, 4)
  t.equal(draws, 2, 'two retries, a wait drawn before each')
})

t.test('an answer with two Content-Type headers is read as plain JSON', async (t) => {
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', ['application/json', 'application/json; charset=utf-8'])
      res.end(ok(req.url?.endsWith('/health') === true ? { protocol: 1 } : INFO).body)
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const b = backend(t, wholeCluster(`http://127.0.0.1:${(server.address() as AddressInfo).port}`), { retries: 0 })
  t.strictSame(await b.info(VOLUME), INFO)
})
