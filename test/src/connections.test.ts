// The connection before routing, over raw sockets to a listening server: what Node's parser
// refuses (garbage, too slow, too large) is answered with the envelope and a catalogue scode,
// and the connection cap closes idle keep-alive sockets first so active clients get in.
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import type { AppOptions } from '../../src/app.js'
import { CDP, DEMO, openTestApp } from '../helpers/app.js'
import { exchange, parseResponse, rawRequest, type RawResponse } from '../helpers/raw-http.js'

async function listening (t: Test, options: Partial<AppOptions> = {}): Promise<number> {
  const { app } = await openTestApp(t, { app: options })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  return address.port
}

/** The envelope of an answer, checked whole but for desc. */
function envelopeOf (t: Test, answer: RawResponse | undefined, status: number, scode: number): void {
  t.equal(answer?.status, status)
  t.match(answer?.headers['content-type'], /^application\/json/)
  t.match(JSON.parse(answer?.body ?? '{}'), { scode, desc: String, message: String, message_cn: String, stack: null, data: null })
}

/** A socket kept open, with everything it has received so far. */
async function openSocket (port: number): Promise<{ socket: Socket, received: () => string, closed: Promise<unknown> }> {
  const socket = connect({ host: '127.0.0.1', port })
  let text = ''
  socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1') })
  socket.on('error', () => {})
  const closed = once(socket, 'close')
  await once(socket, 'connect')
  return { socket, received: () => text, closed }
}

/** Resolves once the socket has received a whole answer. */
async function answerOn (socket: Socket, received: () => string): Promise<RawResponse> {
  for (;;) {
    const answer = parseResponse(received())
    if (answer !== undefined && Buffer.byteLength(answer.body) >= Number(answer.headers['content-length'] ?? 0)) return answer
    await once(socket, 'data')
  }
}

t.test('a garbage request line is 400 MALFORMED_REQUEST in the envelope', async (t) => {
  const port = await listening(t)
  for (const line of ['GARBAGE', 'GET /healthz HTTP/9.9', 'P\u0000ST /x HTTP/1.1', 'GET %2Fhealthz HTTP/1.1']) {
    envelopeOf(t, parseResponse(await exchange(port, `${line}\r\nHost: 127.0.0.1\r\n\r\n`)), 400, 1012)
  }
})

t.test('oversized headers and an oversized URL are 431 HEADERS_TOO_LARGE in the envelope', async (t) => {
  const port = await listening(t)
  envelopeOf(t, parseResponse(await exchange(port, rawRequest('GET', '/healthz', { 'X-Big': 'h'.repeat(20_000) }))), 431, 1014)
  envelopeOf(t, parseResponse(await exchange(port, rawRequest('GET', `/${'a'.repeat(20_000)}`))), 431, 1014)
})

t.test('a request that does not arrive in time is 408 REQUEST_TIMEOUT in the envelope', async (t) => {
  const port = await listening(t, { requestTimeout: 200 })
  const { socket, received, closed } = await openSocket(port)
  socket.write('POST /v1/volume/internal/cdp/enable HTTP/1.1\r\nHost: 127.0.0.1\r\n')
  await closed
  envelopeOf(t, parseResponse(received()), 408, 1013)
})

t.test('at the cap the idle keep-alive socket gives way to a new client', async (t) => {
  const port = await listening(t, { maxConnections: 3 })
  const idle = await Promise.all([0, 1, 2].map(async () => {
    const client = await openSocket(port)
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    t.equal((await answerOn(client.socket, client.received)).status, 200, 'kept alive after its answer')
    return client
  }))
  const answer = parseResponse(await exchange(port, rawRequest('GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`)))
  t.equal(answer?.status, 200, 'a fourth client is served')
  await Promise.race(idle.map((c) => c.closed))
  t.equal(idle.filter((c) => c.socket.destroyed || c.socket.readableEnded).length, 1, 'one idle socket was closed for it')
  for (const client of idle) client.socket.destroy()
})

t.test('at the cap with every connection busy, a new client gets 503 TOO_MANY_CONNECTIONS; served again once they finish', async (t) => {
  const port = await listening(t, { maxConnections: 2 })
  const body = JSON.stringify({ volumes: [{ cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }] })
  const busy = await Promise.all([0, 1].map(async () => {
    const client = await openSocket(port)
    // Headers and part of the body: the request has begun and is still arriving. The interim
    // 100 Continue says the server has seen it.
    client.socket.write(rawRequest('POST', `${CDP}/enable`, { Expect: '100-continue' }, body).slice(0, -10))
    while (!client.received().includes('100 Continue')) await once(client.socket, 'data')
    return client
  }))
  const refused = parseResponse(await exchange(port, rawRequest('GET', '/healthz')))
  envelopeOf(t, refused, 503, 1015)
  t.equal(refused?.headers['retry-after'], '1')
  for (const client of busy) {
    client.socket.write(body.slice(-10))
    const text = await answerOn(client.socket, () => client.received().replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, ''))
    t.equal(text.status, 200, 'a busy request completes')
  }
  const after = parseResponse(await exchange(port, rawRequest('GET', '/healthz')))
  t.equal(after?.status, 200, 'once idle, the old sockets give way again')
  for (const client of busy) client.socket.destroy()
})
