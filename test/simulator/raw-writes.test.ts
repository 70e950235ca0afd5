// POST /sim/v1/volumes/{uuid}/writes with an application/octet-stream body: the bytes at
// ?offset=, journaled like the JSON form; bad ones are 400 and change nothing; a body past
// 64 MiB is 413 as it streams, before the rest of it is read.
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import t from 'tap'
import { request } from 'undici'
import { CDP, DEMO, call, openTestApp, volume } from '../helpers/app.js'
import { parseExact } from '../../src/json.js'

const SIM = '/sim/v1'
const MiB = 1024 * 1024
const LIMIT = 64 * MiB
const WRITES = `${SIM}/volumes/${DEMO.cdp1}/writes`
const OCTETS = { 'content-type': 'application/octet-stream' }

async function rawWrite (app: Awaited<ReturnType<typeof openTestApp>>['app'], query: string, payload: Buffer | Readable, headers: Record<string, string> = {}): Promise<{ status: number, body: any }> {
  const res = await app.inject({ method: 'POST', url: `${WRITES}${query}`, headers: { ...OCTETS, ...headers }, payload })
  return { status: res.statusCode, body: parseExact(res.body) }
}

async function imageBytes (app: Awaited<ReturnType<typeof openTestApp>>['app'], range: string, at?: bigint): Promise<Buffer> {
  const res = await app.inject({ method: 'GET', url: `${SIM}/volumes/${DEMO.cdp1}/image/raw${at === undefined ? '' : `?at=${at}`}`, headers: { range } })
  return res.rawPayload
}

t.test('a raw body lands at ?offset= as one journaled write, exactly like the same bytes as base64', async (t) => {
  const data = randomBytes(3 * 4096)
  const [raw, json] = [await openTestApp(t), await openTestApp(t)]
  for (const { app } of [raw, json]) await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  const before = (await call(raw.app, 'GET', `${SIM}/clock`)).body.data.now as bigint
  for (const { app } of [raw, json]) await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 1 })

  const written = await rawWrite(raw.app, '?offset=8192', data)
  t.equal(written.status, 200, String(written.body.desc))
  const same = await call(json.app, 'POST', WRITES, { writes: [{ offset: 8192, data: data.toString('base64') }] })
  t.strictSame(written.body, same.body, 'the same count and time')

  t.ok((await imageBytes(raw.app, 'bytes=8192-20479')).equals(data), 'the bytes read back')
  t.ok((await imageBytes(raw.app, 'bytes=0-8191')).equals(Buffer.alloc(8192)), 'and nothing before them')
  t.ok((await imageBytes(raw.app, 'bytes=8192-20479', before)).equals(Buffer.alloc(data.length)), 'the point before it is still recoverable')
  const digest = async (app: typeof raw.app): Promise<unknown> => (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.data
  t.strictSame(await digest(raw.app), await digest(json.app))
  const info = async (app: typeof raw.app): Promise<unknown> => (await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`)).body.data
  t.strictSame(await info(raw.app), await info(json.app), 'the journal holds the same')
})

t.test('an unaligned, out-of-range, empty or offset-less raw write is 400 and changes nothing', async (t) => {
  const { app } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  const image = (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.data
  const size = 10 * 1024 ** 3
  const cases: Array<[string, Buffer, number, RegExp]> = [
    ['?offset=100', Buffer.alloc(4096, 1), 1009, /offset 100 is not a multiple of 4096/],
    ['?offset=4096', Buffer.alloc(4097, 1), 1009, /length 4097 is not a positive multiple of 4096/],
    ['?offset=0', Buffer.alloc(0), 1009, /length 0 /],
    [`?offset=${size - 4096}`, Buffer.alloc(8192, 1), 1009, /past the volume's/],
    ['?offset=abc', Buffer.alloc(4096, 1), 1002, /offset/],
    ['?offset=-4096', Buffer.alloc(4096, 1), 1002, /offset/],
    ['', Buffer.alloc(4096, 1), 1003, /needs \?offset=/]
  ]
  for (const [query, body, scode, desc] of cases) {
    const res = await rawWrite(app, query, body)
    t.equal(res.status, 400, query)
    t.match(res.body, { scode, desc }, `${query}: ${String(res.body.desc)}`)
  }
  const json = await app.inject({ method: 'POST', url: `${WRITES}?offset=0`, headers: { 'content-type': 'application/json' }, payload: '{"writes":[{"offset":0,"length":4096,"fill":1}]}' })
  t.equal(json.statusCode, 400, 'a JSON write takes no ?offset=')
  t.strictSame((await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.data, image, 'the image is as it was')
})

t.test('a raw body past 64 MiB is 413 in the envelope and writes nothing', async (t) => {
  const { app } = await openTestApp(t)
  const image = (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.data
  const declared = await rawWrite(app, '?offset=0', Buffer.alloc(LIMIT + 4096, 1))
  t.equal(declared.status, 413)
  t.match(declared.body, { scode: 1008, desc: `a raw body carries at most ${LIMIT} bytes` })

  // Chunked, with no length to go by.
  const body = Readable.from((function * () {
    for (let sent = 0; sent < LIMIT + MiB; sent += MiB) yield Buffer.alloc(MiB, 2)
  })())
  const streamed = await rawWrite(app, '?offset=0', body, { 'transfer-encoding': 'chunked' })
  t.equal(streamed.status, 413)
  t.equal(streamed.body.scode, 1008)
  t.strictSame((await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.data, image, 'nothing was written')
})

t.test('over a real listening server: a 64 MiB raw write is stored; a 65 MiB one is refused before it is sent', async (t) => {
  const { app } = await openTestApp(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const base = `http://127.0.0.1:${port}`
  const data = randomBytes(LIMIT)
  const res = await request(`${base}${WRITES}?offset=${MiB}`, { method: 'POST', headers: OCTETS, body: data })
  t.equal(res.statusCode, 200)
  t.match(parseExact(await res.body.text()), { data: { count: 1 } })
  const back = await request(`${base}${SIM}/volumes/${DEMO.cdp1}/image/raw`, { headers: { range: `bytes=${MiB}-${MiB + LIMIT - 1}` } })
  t.equal(back.statusCode, 206)
  t.ok(Buffer.from(await back.body.arrayBuffer()).equals(data), 'the 64 MiB read back')

  // Neither a declared 65 MiB (1 MiB of it sent) nor a chunked 65 MiB (sent, not ended) waits for its end.
  for (const [framing, headers, send] of [
    ['content-length', { 'content-length': LIMIT + MiB }, MiB],
    ['chunked', { 'transfer-encoding': 'chunked' }, LIMIT + MiB]
  ] as const) {
    const refused = await answerBeforeEnd(port, headers, send)
    t.equal(refused.status, 413, framing)
    t.match(parseExact(refused.body), { scode: 1008 }, framing)
  }
})

/** Posts a raw write that sends `send` bytes and never ends; resolves to the answer. */
async function answerBeforeEnd (port: number, headers: Record<string, string | number>, send: number): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: `${WRITES}?offset=0`, headers: { ...OCTETS, ...headers } }, (answer) => {
      let text = ''
      answer.on('data', (chunk: Buffer) => { text += chunk.toString() })
      answer.on('end', () => {
        req.destroy()
        resolve({ status: answer.statusCode ?? 0, body: text })
      })
    })
    req.on('error', reject)
    for (let sent = 0; sent < send; sent += MiB) req.write(Buffer.alloc(MiB, 3))
  })
}

t.test('the OpenAPI document describes both bodies and the raw one\'s ?offset=', async (t) => {
  const { app } = await openTestApp(t)
  const doc = JSON.parse((await app.inject({ method: 'GET', url: '/docs/json' })).body)
  const post = doc.paths['/sim/v1/volumes/{volume_uuid}/writes'].post
  t.strictSame(Object.keys(post.requestBody.content).sort(), ['application/json', 'application/octet-stream'])
  t.match(post.requestBody.content['application/octet-stream'].schema, { type: 'string', format: 'binary' })
  t.match(post.requestBody.content['application/json'].schema, { required: ['writes'] })
  t.match(post.parameters, [{ in: 'query', name: 'offset', required: false, schema: { type: 'integer', minimum: 0 } }])
})
