// Which failures are the client's: Fastify's own request errors by their status, judged by
// toCdpError directly (the app routes few of them here; the envelope they get is bad-input's).
import t, { type Test } from 'tap'
import type { FastifyError, FastifyRequest } from 'fastify'
import { request as send } from 'undici'
import { Type } from '@sinclair/typebox'
import { DropConnection, toCdpError } from '../../src/error-handler.js'
import { CdpError, Scode } from '../../src/errors.js'
import { createHttpApp } from '../../src/http-app.js'
import '../../src/plugins/metrics.js'

const request = { headers: {}, body: undefined } as unknown as FastifyRequest
const fastifyError = (statusCode: number | undefined): FastifyError =>
  Object.assign(new Error(`status ${String(statusCode)}`), { code: 'FST_ERR_SOMETHING', statusCode }) as FastifyError

t.test('a Fastify error with a 4xx status is INVALID_PARAMETER with its message; any other status is a bug', async (t) => {
  for (const status of [400, 404, 499]) {
    const error = toCdpError(fastifyError(status), request)
    t.same({ code: error?.code, desc: error?.desc }, { code: 'INVALID_PARAMETER', desc: `status ${status}` }, `${status}`)
  }
  for (const status of [undefined, 200, 399, 500, 503]) t.equal(toCdpError(fastifyError(status), request), undefined, `${String(status)}`)
})

// The handlers over an app of their own (createHttpApp, as every server here), with routes
// that fail on purpose; its log lines are kept to read which failures were logged.
async function failingApp (t: Test) {
  const lines: Array<{ level: number, msg: string, err?: { message: string } }> = []
  const app = createHttpApp({ logger: { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } } })
  const answered: Array<number | undefined> = []
  app.addHook('onResponse', async (request) => { answered.push(request.scode) })
  app.get('/bug', async () => { throw new Error('a bug of the server') })
  app.get('/refused', async () => { throw new CdpError('VOLUME_NOT_FOUND', 'no such volume') })
  app.get('/drop', async () => { throw new DropConnection() })
  app.post('/only-post', async () => ({}))
  t.teardown(() => app.close())
  return { app, errorsLogged: () => lines.filter((line) => line.level === 50), answered }
}

t.test('a bug is INTERNAL (5001, 500) and logged once with its error; a refusal is its own scode and not logged', async (t) => {
  const { app, errorsLogged, answered } = await failingApp(t)
  const bug = await app.inject('/bug')
  t.same([bug.statusCode, bug.json().scode], [500, 5001])
  t.match(errorsLogged(), [{ msg: 'request failed', err: { message: 'a bug of the server' } }])
  t.equal(errorsLogged().length, 1)
  const refused = await app.inject('/refused')
  t.same([refused.statusCode, refused.json().scode, refused.json().desc], [404, 3002, 'no such volume'])
  t.equal(errorsLogged().length, 1, 'the refusal added no error line')
  t.same(answered, [5001, 3002], 'each answer leaves its scode on the request, for the metrics')
})

t.test('an unknown route names the method and the path without its query; another method lists the allowed ones', async (t) => {
  const { app, answered } = await failingApp(t)
  const missing = await app.inject('/no/such/route?x=1&y=2')
  t.same([missing.statusCode, missing.json().scode, missing.json().desc, missing.headers.allow], [404, 1010, 'GET /no/such/route', undefined])
  const wrong = await app.inject({ method: 'DELETE', url: '/only-post?x=1' })
  t.same([wrong.statusCode, wrong.json().scode, wrong.json().desc, wrong.headers.allow], [405, 1011, 'DELETE /only-post: allowed POST', 'POST'])
  const twice = await app.inject({ method: 'PUT', url: '/bug' })
  t.same([twice.json().desc, twice.headers.allow], ['PUT /bug: allowed GET, HEAD', 'GET, HEAD'])
  t.same(answered, [1010, 1011, 1011])
})

t.test('DropConnection resets the socket: the client gets no answer at all, and nothing is logged as a bug', async (t) => {
  const { app, errorsLogged } = await failingApp(t)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  await t.rejects(send(`${base}/drop`), { code: 'ECONNRESET' }, 'reset, not closed')
  t.same(errorsLogged(), [])
  const after = await send(`${base}/refused`)
  t.equal(after.statusCode, 404, 'the server goes on answering')
  await after.body.dump()
  t.same([new DropConnection().name, new DropConnection().message], ['DropConnection', 'connection dropped on purpose'], 'its name and message say it was on purpose, in any log')
})

t.test('of a union\'s failed branches, the one on a field the client sent is named, not the branch it did not mean lacking a field', async (t) => {
  const app = createHttpApp()
  const Item = Type.Union([Type.Object({ a: Type.Integer() }), Type.Object({ b: Type.String({ maxLength: 2 }) })])
  app.post('/either', { schema: { body: Type.Object({ item: Item }) } }, async () => ({}))
  t.teardown(() => app.close())
  const cases: Array<[unknown, string, string]> = [
    [{ item: { b: 'long' } }, 'INVALID_PARAMETER', 'item.b must NOT have more than 2 characters'],
    [{ item: { a: 'x' } }, 'INVALID_PARAMETER', 'item.a must be integer'],
    [{ item: {} }, 'MISSING_PARAMETER', 'item.a is required'],
    [{}, 'MISSING_PARAMETER', 'item is required']
  ]
  for (const [body, code, desc] of cases) {
    const res = await app.inject({ method: 'POST', url: '/either', payload: body as object })
    t.equal(res.statusCode, 400, JSON.stringify(body))
    t.match(res.json(), { scode: Scode[code as 'INVALID_PARAMETER'].scode, desc }, JSON.stringify(body))
  }
})
