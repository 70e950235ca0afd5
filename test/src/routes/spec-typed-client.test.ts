// A client typed from the spec (a Go or Java struct per request) sends every field the spec
// lists, the ones it does not use at their zero values: "" for optional strings, and for
// `view` with op "off" an empty snapshot_name and a zero timestamp. Each call must get exactly
// what the same call without those fields gets, over the same history.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { CDP, DEMO, SECOND, call, openTestApp, type Answer } from '../../helpers/app.js'

const TOKEN = 'ken-token-of-sixteen-chars'
const ZERO = { tenant: '', volume_name: '' }
const POINT = { snapshot_name: 'CDP-auto-1630053321', timestamp: 1630053321n * SECOND }
const volume = (uuid: string) => ({ cluster_uuid: DEMO.cluster, volume_uuid: uuid })

interface Step { name: string, method: 'GET' | 'POST', url: string, body?: unknown }

/** One history over the eight endpoints, as a typed client (`typed`) or a minimal one sends it. */
function steps (typed: boolean): Step[] {
  const zero = typed ? ZERO : {}
  const query = typed ? '&tenant=&volume_name=' : ''
  const volumes = [DEMO.cdp1, DEMO.vol1].map((uuid) => ({ ...volume(uuid), ...zero }))
  return [
    { name: 'edit', method: 'POST', url: `${CDP}/edit`, body: { cdp_priority: 'high', reserve_capacity: 32212254720, reserve_duration: 86400, volumes } },
    { name: 'enable', method: 'POST', url: `${CDP}/enable`, body: { volumes } },
    { name: 'list', method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}${typed ? '&tenant=&filter_name=&page_num=0&page_size=0' : ''}` },
    { name: 'info', method: 'GET', url: `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}${query}` },
    { name: 'view on', method: 'POST', url: `${CDP}/view`, body: { ...volume(DEMO.cdp1), ...zero, op: 'on', ...POINT } },
    { name: 'view off', method: 'POST', url: `${CDP}/view`, body: { ...volume(DEMO.cdp1), ...zero, op: 'off', ...(typed ? { snapshot_name: '', timestamp: 0 } : {}) } },
    { name: 'revert', method: 'POST', url: `${CDP}/revert`, body: { ...volume(DEMO.cdp1), ...zero, ...POINT } },
    { name: 'disable', method: 'POST', url: `${CDP}/disable`, body: { volumes } },
    // usd_seq has no unused value: 0 names segment 0, so a typed client sends it only to use it.
    { name: 'clean segment 0', method: 'POST', url: `${CDP}/clean`, body: { ...volume(DEMO.cdp1), ...zero, usd_seq: 0 } },
    { name: 'clean whole', method: 'POST', url: `${CDP}/clean`, body: { ...volume(DEMO.vol1), ...zero } },
    { name: 'list after', method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}${typed ? '&tenant=&filter_name=&page_num=0&page_size=0' : ''}` }
  ]
}

async function replay (app: FastifyInstance, typed: boolean): Promise<Map<string, Answer>> {
  const answers = new Map<string, Answer>()
  for (const step of steps(typed)) answers.set(step.name, await call(app, step.method, step.url, step.body))
  return answers
}

t.test('every endpoint answers a typed client\'s zero values as it answers their absence', async (t) => {
  const typed = await replay((await openTestApp(t)).app, true)
  const minimal = await replay((await openTestApp(t)).app, false)
  for (const [name, answer] of minimal) {
    t.equal(answer.body.scode, 0, `${name}: the history itself succeeds`)
    t.strictSame(typed.get(name), answer, `${name}: the same answer`)
  }
  t.equal(minimal.get('list after')?.body.data.TotalCount, 1, 'the whole clean took vol-1, segment 0 only its segment')
})

t.test('view off ignores snapshot_name and timestamp whatever they hold', async (t) => {
  const { app } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  for (const point of [{ snapshot_name: 'no-such-snapshot', timestamp: 'abc' }, { snapshot_name: 7, timestamp: -1 }, { snapshot_name: null, timestamp: null }]) {
    t.equal((await call(app, 'POST', `${CDP}/view`, { ...volume(DEMO.cdp1), op: 'on', ...POINT })).body.scode, 0, 'on')
    const off = await call(app, 'POST', `${CDP}/view`, { ...volume(DEMO.cdp1), op: 'off', ...point })
    t.strictSame([off.status, off.body.scode, off.body.data], [200, 0, { cdp_info: null, host_uuid: '' }], `off with ${JSON.stringify(point)}`)
  }
  const on = await call(app, 'POST', `${CDP}/view`, { ...volume(DEMO.cdp1), op: 'on', snapshot_name: '', timestamp: 0 })
  t.strictSame([on.status, on.body.scode], [400, 1002], 'on still needs a real point: "" is no snapshot name')
})

t.test('a zero value that would be destructive is refused, and changes nothing', async (t) => {
  const { app } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/edit`, { cdp_priority: 'mid', reserve_capacity: 32212254720, reserve_duration: 86400, volumes: [volume(DEMO.vol1)] })
  for (const usdSeq of [null, '', false]) {
    const answer = await call(app, 'POST', `${CDP}/clean`, { ...volume(DEMO.vol1), ...ZERO, usd_seq: usdSeq })
    t.strictSame([answer.status, answer.body.scode], [400, 1005], `usd_seq ${JSON.stringify(usdSeq)}: INVALID_UINT64, not a whole clean`)
  }
  const info = await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.vol1}`)
  t.equal(info.body.scode, 0, 'the CDP is still there')
})

t.test('an empty tenant is no tenant: a tenant token fills in its own, as when it is left out', async (t) => {
  const { app } = await openTestApp(t, { app: { tokens: [{ token: TOKEN, tenant: DEMO.ken }] } })
  const send = async (url: string, body: unknown) => await app.inject({
    method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }
  })
  const enable = await send(`${CDP}/enable`, { volumes: [{ ...volume(DEMO.cdp1), ...ZERO }, { ...volume(DEMO.linVolume), ...ZERO }] })
  const results = (JSON.parse(enable.body) as { data: { results: Array<{ scode: number }> } }).data.results
  t.strictSame(results.map((r) => r.scode), [0, 3002], 'its own volume enabled; another tenant\'s stays not found')
})
