// Over a real listening server on 127.0.0.1: a known path asked with another method is 405
// with an `Allow` header, and CORS (off by default) lets the configured origins call the API,
// its preflights answered without a token even when tokens are required.
import t from 'tap'
import { request } from 'undici'
import { CDP, DEMO, openTestApp, type Teardown } from '../helpers/app.js'
import type { AppOptions } from '../../src/app.js'

const TOKEN = 'a-token-of-sixteen-chars-or-more'
const CONSOLE = 'http://127.0.0.1:3000'

async function listening (t: Teardown, app: Partial<AppOptions> = {}): Promise<string> {
  const opened = await openTestApp(t, { app })
  return await opened.app.listen({ host: '127.0.0.1', port: 0 })
}

async function send (base: string, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await request(`${base}${path}`, { method: method as 'GET', headers })
  const text = await res.body.text()
  return { status: res.statusCode, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) as { scode: number, desc: string } }
}

t.test('a known path with another method is 405 METHOD_NOT_ALLOWED naming the allowed ones', async (t) => {
  const base = await listening(t)
  for (const [method, path, allow] of [
    ['GET', `${CDP}/edit`, 'POST'],
    ['PUT', `${CDP}/view`, 'POST'],
    ['OPTIONS', `${CDP}/revert`, 'POST'],
    ['POST', `${CDP}/info`, 'GET, HEAD'],
    ['DELETE', `${CDP}/list?cluster_uuid=${DEMO.cluster}`, 'GET, HEAD'],
    ['POST', `/sim/v1/volumes/${DEMO.cdp1}/image`, 'GET, HEAD']
  ] as const) {
    const res = await send(base, method, path)
    t.equal(res.status, 405, `${method} ${path}: 405`)
    t.equal(res.headers.allow, allow, `${method} ${path}: Allow ${allow}`)
    t.equal(res.body?.scode, 1011, 'METHOD_NOT_ALLOWED')
    t.match(res.body?.desc, allow, 'the desc names the allowed methods too')
  }
})

t.test('an unknown path stays 404 ROUTE_NOT_FOUND, with no Allow header', async (t) => {
  const base = await listening(t, { corsOrigins: [CONSOLE] })
  for (const path of [`${CDP}/nothing`, '/v1/volume/internal/cdp', `${CDP}/edit/x`]) {
    const res = await send(base, 'GET', path)
    t.strictSame([res.status, res.body?.scode, res.headers.allow], [404, 1010, undefined], path)
  }
})

t.test('CORS is off by default: no CORS headers, and OPTIONS is just another wrong method', async (t) => {
  const base = await listening(t)
  const preflight = await send(base, 'OPTIONS', `${CDP}/edit`, { origin: CONSOLE, 'access-control-request-method': 'POST' })
  t.equal(preflight.status, 405)
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
  const list = await send(base, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`, { origin: CONSOLE })
  t.equal(list.status, 200)
  t.equal(list.headers['access-control-allow-origin'], undefined, 'no origin is allowed')
})

t.test('a configured origin gets its preflight answered without a token, and calls with one', async (t) => {
  const base = await listening(t, { corsOrigins: [CONSOLE], tokens: [{ token: TOKEN }] })
  const preflight = await send(base, 'OPTIONS', `${CDP}/edit`, {
    origin: CONSOLE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type'
  })
  t.equal(preflight.status, 204, 'answered, no 401')
  t.equal(preflight.headers['access-control-allow-origin'], CONSOLE)
  t.match(String(preflight.headers['access-control-allow-methods']), 'POST')
  t.match(String(preflight.headers['access-control-allow-headers']), 'authorization')

  const unauthenticated = await send(base, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`, { origin: CONSOLE })
  t.equal(unauthenticated.status, 401, 'the real request still needs its token')
  const list = await send(base, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`, { origin: CONSOLE, authorization: `Bearer ${TOKEN}` })
  t.equal(list.status, 200)
  t.equal(list.headers['access-control-allow-origin'], CONSOLE)
  t.match(String(list.headers['access-control-expose-headers']), 'x-request-id', 'a console can read the request id')
})

t.test('an origin not configured gets no CORS permission', async (t) => {
  const base = await listening(t, { corsOrigins: [CONSOLE] })
  const preflight = await send(base, 'OPTIONS', `${CDP}/edit`, { origin: 'http://127.0.0.1:6666', 'access-control-request-method': 'POST' })
  t.equal(preflight.headers['access-control-allow-origin'], undefined)
  const list = await send(base, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`, { origin: 'http://127.0.0.1:6666' })
  t.equal(list.headers['access-control-allow-origin'], undefined)
})
