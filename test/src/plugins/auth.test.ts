// Bearer tokens: every endpoint × {no token, unknown token, global token, the volume's
// tenant's token, another tenant's token}. A tenant token sees only its tenant: another
// tenant's volume is "not found", and naming another tenant is FORBIDDEN.
import t, { type Test } from 'tap'
import cors from '@fastify/cors'
import type { InjectOptions } from 'fastify'
import { CDP, DEMO, SECOND, openTestApp } from '../../helpers/app.js'
import { parseExact, printExact } from '../../../src/json.js'
import { matches } from '../../../src/plugins/auth.js'

const TOKENS = [
  { token: 'global-token-0123456789', name: 'console' },
  { token: 'ken-token-0123456789abc', tenant: DEMO.ken, name: 'ken' },
  { token: 'lin-token-0123456789abc', tenant: DEMO.lin, name: 'lin' }
]
const HOLDERS = { global: TOKENS[0]?.token, ken: TOKENS[1]?.token, lin: TOKENS[2]?.token, unknown: 'not-a-token-0123456789', none: undefined }

interface Endpoint {
  name: string
  method: 'GET' | 'POST'
  url: string
  body?: unknown
  /** A batch: a volume that is not found fails its item, not the request. */
  batch?: boolean
  list?: boolean
}

const cdp1 = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }
const policy = { cdp_priority: 'mid', reserve_capacity: 1073741824, reserve_duration: 3600 }

/** A fresh app with CDP on cdp-1 and some history; returns a point inside it. */
async function open (t: Test, tokens = true) {
  const { app, sim } = await openTestApp(t, { app: tokens ? { tokens: TOKENS } : {} })
  await sim.enable([cdp1])
  const time = sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }]).time
  sim.advance(10n * SECOND)
  const snapshot = (await sim.info(cdp1)).cdp_info[0]?.snaps[0]?.name ?? ''
  await sim.disable([cdp1])
  await sim.enable([cdp1])
  return { app, point: { snapshot_name: snapshot, timestamp: time } }
}

function endpoints (point: { snapshot_name: string, timestamp: bigint }): Endpoint[] {
  return [
    { name: 'edit', method: 'POST', url: `${CDP}/edit`, body: { ...policy, volumes: [cdp1] }, batch: true },
    { name: 'enable', method: 'POST', url: `${CDP}/enable`, body: { volumes: [cdp1] }, batch: true },
    { name: 'disable', method: 'POST', url: `${CDP}/disable`, body: { volumes: [cdp1] }, batch: true },
    { name: 'list', method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}`, list: true },
    { name: 'info', method: 'GET', url: `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}` },
    { name: 'clean', method: 'POST', url: `${CDP}/clean`, body: { ...cdp1, usd_seq: 0 } },
    { name: 'view', method: 'POST', url: `${CDP}/view`, body: { ...cdp1, op: 'on', ...point } },
    { name: 'revert', method: 'POST', url: `${CDP}/revert`, body: { ...cdp1, ...point } }
  ]
}

async function send (app: Awaited<ReturnType<typeof open>>['app'], endpoint: Endpoint, token?: string, tenant?: string) {
  const headers: Record<string, string> = {}
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  let url = endpoint.url
  let payload: string | undefined
  if (endpoint.body !== undefined) {
    headers['content-type'] = 'application/json'
    const body = endpoint.body as Record<string, unknown>
    const named = tenant === undefined
      ? body
      : endpoint.batch === true
        ? { ...body, volumes: (body.volumes as object[]).map((v) => ({ ...v, tenant })) }
        : { ...body, tenant }
    payload = printExact(named)
  } else if (tenant !== undefined) {
    url += `&tenant=${tenant}`
  }
  const options: InjectOptions = { method: endpoint.method, url, headers, ...(payload === undefined ? {} : { payload }) }
  const res = await app.inject(options)
  return { status: res.statusCode, headers: res.headers, body: parseExact(res.body) as any }
}

t.test('every endpoint: no token or an unknown one is 401, and nothing runs', async (t) => {
  const { app, point } = await open(t)
  for (const endpoint of endpoints(point)) {
    for (const holder of ['none', 'unknown'] as const) {
      const answer = await send(app, endpoint, HOLDERS[holder])
      t.equal(answer.status, 401, `${endpoint.name} with ${holder}`)
      t.equal(answer.body.scode, 2001)
      t.equal(answer.headers['www-authenticate'], 'Bearer')
    }
  }
  const info = await send(app, endpoints(point)[4] as Endpoint, HOLDERS.global)
  t.equal(info.body.data.cdp_info.length, 2, 'no clean ran')
})

/** What each endpoint answers a caller allowed to run it, on the state open() leaves: status and scode. */
const ALLOWED: Record<string, [number, number]> = {
  edit: [200, 0], enable: [200, 0], disable: [200, 0], list: [200, 0], info: [200, 0], clean: [200, 0], view: [200, 0], revert: [200, 0]
}

t.test('every endpoint: a global token and the volume\'s tenant\'s token run it, and act on that volume', async (t) => {
  for (const [index, endpoint] of endpoints({ snapshot_name: '', timestamp: 0n }).entries()) {
    for (const holder of ['global', 'ken'] as const) {
      const subject = await open(t)
      const answer = await send(subject.app, endpoints(subject.point)[index] as Endpoint, HOLDERS[holder])
      t.same([answer.status, answer.body.scode], ALLOWED[endpoint.name], `${endpoint.name} with ${holder}`)
      if (endpoint.batch === true) t.same(answer.body.data.results.map((r: { data: { volume_uuid: string } }) => r.data.volume_uuid), [DEMO.cdp1])
      if (endpoint.list === true) t.same(answer.body.data.List.map((v: { volume_uuid: string }) => v.volume_uuid), [DEMO.cdp1])
    }
  }
})

t.test('a tenant token naming its own tenant in upper case is its own tenant', async (t) => {
  const { app, point } = await open(t)
  for (const endpoint of endpoints(point)) {
    const answer = await send(app, endpoint, HOLDERS.ken, DEMO.ken.toUpperCase())
    t.not(answer.status, 403, `${endpoint.name}: not forbidden`)
    t.not(answer.body.scode, 2002, endpoint.name)
  }
  const info = await send(app, endpoints(point)[4] as Endpoint, HOLDERS.ken, DEMO.ken.toUpperCase())
  t.equal(info.status, 200)
})

t.test('every endpoint: another tenant\'s token finds nothing of ken\'s, and may not name ken', async (t) => {
  for (const [index, endpoint] of endpoints({ snapshot_name: '', timestamp: 0n }).entries()) {
    const subject = await open(t)
    const target = endpoints(subject.point)[index] as Endpoint
    const answer = await send(subject.app, target, HOLDERS.lin)
    if (endpoint.batch === true) {
      t.equal(answer.status, 200, endpoint.name)
      t.same(answer.body.data.results.map((r: { scode: number }) => r.scode), [3002], `${endpoint.name}: ken's volume is not found`)
    } else if (endpoint.list === true) {
      t.equal(answer.status, 200)
      t.same(answer.body.data.List, [], 'list shows none of ken\'s volumes')
    } else {
      t.equal(answer.status, 404, endpoint.name)
      t.equal(answer.body.scode, 3002, `${endpoint.name}: ken's volume is not found`)
    }
    const naming = await send(subject.app, target, HOLDERS.lin, DEMO.ken)
    t.equal(naming.status, 403, `${endpoint.name} naming tenant ken`)
    t.equal(naming.body.scode, 2002)
  }
})

t.test('the control API takes global tokens only; /metrics a global or a metrics token; health and docs none', async (t) => {
  const { app } = await openTestApp(t, { app: { tokens: [...TOKENS, { token: 'metrics-token-0123456789', scope: 'metrics' }] } })
  const get = async (url: string, token?: string) => {
    const res = await app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    const json = String(res.headers['content-type']).startsWith('application/json') ? JSON.parse(res.body) : {}
    return [res.statusCode, typeof json.scode === 'number' ? json.scode : 'not an envelope']
  }
  const metricsToken = 'metrics-token-0123456789'
  t.same(await get('/sim/v1/clock'), [401, 2001])
  t.same(await get('/sim/v1/clock', HOLDERS.ken), [403, 2003])
  t.same(await get('/sim/v1/clock', metricsToken), [403, 2003])
  t.same(await get('/sim/v1/clock', HOLDERS.global), [200, 0])
  t.same(await get('/metrics'), [401, 2001])
  t.same(await get('/metrics', HOLDERS.lin), [403, 2003], 'a tenant token may not see every volume\'s figures')
  t.same(await get('/metrics', metricsToken), [200, 'not an envelope'])
  t.same(await get('/metrics', HOLDERS.global), [200, 'not an envelope'])
  t.same(await get(`${CDP}/list?cluster_uuid=${DEMO.cluster}`, metricsToken), [403, 2003], 'a metrics token reads metrics only')
  for (const url of ['/healthz', '/readyz', '/docs/json']) t.same(await get(url), [200, url === '/docs/json' ? 'not an envelope' : 0], url)
})

t.test('with authentication off /metrics is open', async (t) => {
  const { app } = await openTestApp(t)
  t.equal((await app.inject('/metrics')).statusCode, 200)
})

t.test('a CORS preflight needs no token, even with the CORS plugin registered after authentication', async (t) => {
  const { app } = await openTestApp(t, { app: { tokens: TOKENS } })
  await app.register(cors, { origin: 'https://console.invalid' })
  const res = await app.inject({
    method: 'OPTIONS',
    url: `${CDP}/enable`,
    headers: { origin: 'https://console.invalid', 'access-control-request-method': 'POST' }
  })
  t.equal(res.statusCode, 204)
  t.equal(res.headers['access-control-allow-origin'], 'https://console.invalid')
  const actual = await app.inject({ method: 'POST', url: `${CDP}/enable`, headers: { origin: 'https://console.invalid' }, payload: {} })
  t.equal(actual.statusCode, 401, 'the request itself still needs a token')
})

t.test('no route, or another method on a known path: every caller gets the same answer, no token asked', async (t) => {
  const { app } = await openTestApp(t, { app: { tokens: TOKENS } })
  for (const [method, url] of [['GET', `${CDP}/nothing`], ['GET', '/sim/v1/nothing'], ['DELETE', `${CDP}/list`], ['GET', `${CDP}/enable`], ['PUT', '/sim/v1/clock']] as const) {
    const answers = []
    for (const token of [undefined, HOLDERS.unknown, HOLDERS.global, HOLDERS.ken]) {
      const res = await app.inject({ method, url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
      answers.push({ status: res.statusCode, allow: res.headers.allow, body: JSON.parse(res.body) })
    }
    t.ok([404, 405].includes(answers[0]?.status ?? 0), `${method} ${url}: ${answers[0]?.status}`)
    t.notOk(answers.some((a) => a.status === 401 || a.status === 403), `${method} ${url}: no token asked or refused`)
    t.same(new Set(answers.map((a) => JSON.stringify(a))).size, 1, `${method} ${url}: the same answer for every caller`)
  }
})

t.test('each refusal says why: no token, an unknown token, the wrong kind of token, another tenant', async (t) => {
  const { app } = await openTestApp(t, { app: { tokens: [...TOKENS, { token: 'metrics-token-0123456789', scope: 'metrics' }] } })
  const desc = async (url: string, token?: string) => {
    const res = await app.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
    return [res.statusCode, JSON.parse(res.body).desc]
  }
  const list = `${CDP}/list?cluster_uuid=${DEMO.cluster}`
  t.same(await desc(list), [401, 'send Authorization: Bearer <token>'])
  t.same(await desc(list, HOLDERS.unknown), [401, 'unknown token'])
  t.same(await desc('/sim/v1/clock', HOLDERS.ken), [403, 'this endpoint acts across tenants: it needs a global token'])
  t.same(await desc('/metrics', HOLDERS.ken), [403, 'metrics need a global or a metrics token'])
  t.same(await desc(list, 'metrics-token-0123456789'), [403, 'a metrics token may read /metrics only'])
  t.same(await desc(`${list}&tenant=${DEMO.ken}`, HOLDERS.lin), [403, `the token may not act on tenant ${DEMO.ken}`])
})

t.test('a global token may name any tenant: it acts for that tenant', async (t) => {
  const { app, point } = await open(t)
  for (const tenant of [DEMO.ken, DEMO.lin]) {
    const answer = await send(app, endpoints(point)[3] as Endpoint, HOLDERS.global, tenant)
    t.equal(answer.status, 200, `list naming ${tenant === DEMO.ken ? 'ken' : 'lin'}`)
    t.same(answer.body.data.List.map((v: { volume_uuid: string }) => v.volume_uuid), tenant === DEMO.ken ? [DEMO.cdp1] : [], 'that tenant\'s CDP volumes')
  }
})

t.test('a public route covers its own path, or what is under it when it ends in *', async (t) => {
  t.ok(matches({ url: '/healthz' }, '/healthz', 'GET'))
  t.notOk(matches({ url: '/healthz' }, '/healthy', 'GET'), 'not a path that only shares its start')
  t.ok(matches({ url: '/docs/*' }, '/docs/json', 'GET'))
  t.notOk(matches({ url: '/docs/*' }, '/doc', 'GET'))
  t.notOk(matches({ url: '/healthz', method: 'GET' }, '/healthz', 'POST'), 'another method')
})

t.test('an authenticated request is logged at debug with the holder\'s name and tenant, never the token', async (t) => {
  const lines: string[] = []
  const stream = { write: (line: string) => { lines.push(line) } }
  const { app } = await openTestApp(t, { app: { tokens: [...TOKENS, { token: 'nameless-token-0123456789' }], logger: { level: 'debug', stream } } })
  for (const token of [HOLDERS.ken, 'nameless-token-0123456789']) {
    await app.inject({ method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}`, headers: { authorization: `Bearer ${token ?? ''}` } })
  }
  const authenticated = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'authenticated')
  t.same(authenticated.map((entry) => [entry.token, entry.tenant]), [['ken', DEMO.ken], ['unnamed', undefined]])
  t.notOk(lines.some((line) => line.includes('token-0123456789')), 'no token in the log')
})

t.test('the Authorization header is "Bearer", one or more spaces, and the token: nothing before or after it', async (t) => {
  const { app } = await openTestApp(t, { app: { tokens: TOKENS } })
  const status = async (authorization: string) =>
    (await app.inject({ method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}`, headers: { authorization } })).statusCode
  const token = HOLDERS.global ?? ''
  t.equal(await status(`Bearer ${token}`), 200)
  t.equal(await status(`bearer  ${token}`), 200, 'any case, more than one space')
  t.equal(await status(`Basic Bearer ${token}`), 401, 'another scheme in front')
  t.equal(await status(`Bearer ${token} extra`), 401, 'more after the token')
  t.equal(await status(`Bearer${token}`), 401, 'no space')
})
