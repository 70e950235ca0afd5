// What an operator reads: /healthz, /readyz, /metrics, the x-request-id of every answer,
// and error bodies that say nothing of the internals.
import t from 'tap'
import { CDP, DEMO, openTestApp } from '../../helpers/app.js'
import type { Simulator } from '../../../simulator/index.js'

const infoUrl = `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`

t.test('/healthz says the process is up; /readyz says whether the backend can serve', async (t) => {
  const { app, sim } = await openTestApp(t)
  t.same((await app.inject('/healthz')).json().data, { status: 'up' })
  t.same((await app.inject('/readyz')).json().data, { status: 'ready' })
  await sim.close()
  const down = await app.inject('/readyz')
  t.equal(down.statusCode, 503)
  t.equal(down.json().scode, 5005)
  t.equal((await app.inject('/healthz')).statusCode, 200, 'the process is still up')
})

t.test('/metrics counts requests by route and scode, times backend calls, and reads journal gauges', async (t) => {
  const { app, sim } = await openTestApp(t)
  t.equal((await app.inject(infoUrl)).statusCode, 404, 'no CDP yet')
  await sim.enable([{ cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }])
  sim.write(DEMO.cdp1, [{ offset: 0, length: 8192, fill: 5 }])
  t.equal((await app.inject(infoUrl)).statusCode, 200)
  const res = await app.inject('/metrics')
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  const text = res.body
  t.match(text, /cdp_http_requests_total\{route="\/v1\/volume\/internal\/cdp\/info",method="GET",status="404",scode="3003"\} 1/)
  t.match(text, /cdp_http_requests_total\{route="\/v1\/volume\/internal\/cdp\/info",method="GET",status="200",scode="0"\} 1/)
  t.match(text, /cdp_http_request_seconds_count\{route="\/v1\/volume\/internal\/cdp\/info",method="GET"\} 2/)
  t.match(text, /cdp_backend_call_seconds_count\{operation="info"\} 2/)
  t.match(text, /cdp_backend_errors_total\{operation="info",scode="3003"\} 1/)
  t.match(text, new RegExp(`cdp_journal_use_bytes\\{volume_uuid="${DEMO.cdp1}"\\} 8192`))
  // The window is the recoverable ranges' length: the write came 1 ns after the enable.
  t.match(text, new RegExp(`cdp_recoverable_window_seconds\\{volume_uuid="${DEMO.cdp1}"\\} 1e-9\n`))
})

t.test('every answer carries x-request-id: the caller\'s when it is a plain token, a new uuid otherwise', async (t) => {
  const { app } = await openTestApp(t)
  const kept = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'console-42.a:b' } })
  t.equal(kept.headers['x-request-id'], 'console-42.a:b')
  const replaced = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'bad id\twith spaces' } })
  t.match(replaced.headers['x-request-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  const failed = await app.inject('/nowhere')
  t.equal(failed.statusCode, 404)
  t.type(failed.headers['x-request-id'], 'string', 'errors carry it too')
})

t.test('an internal failure answers INTERNAL with nothing of its message, stack, SQL or paths', async (t) => {
  const secret = 'SQLITE_ERROR: no such table: journal at /work/main/simulator/simulator.ts:1:1'
  const { sim } = await openTestApp(t)
  const broken = Object.assign(Object.create(sim) as Simulator, { info: async () => { throw new Error(secret) } })
  const { app } = await openTestApp(t, { app: { backend: broken } })
  const res = await app.inject(infoUrl)
  t.equal(res.statusCode, 500)
  t.same(res.json(), { scode: 5001, desc: '', message: 'internal error', message_cn: '内部错误', stack: null, data: null })
  t.notMatch(res.body, /SQLITE|journal|\/work|simulator\.ts/)
  t.equal(res.headers['x-powered-by'], undefined)
})
