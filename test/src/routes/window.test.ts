// GET /window through the HTTP app: the envelope, pressure as defined (warning below the
// configured fraction once CDP has been on long enough, shrinking while capacity trims),
// bad input, tenancy and the token check; and an agent without the operation.
import t from 'tap'
import { buildApp } from '../../../src/app.js'
import { Scode } from '../../../src/errors.js'
import { CDP, DEMO, SECOND, call, openTestApp, volume } from '../../helpers/app.js'
import { agentBackend, startAgent, fail, wholeCluster } from '../../helpers/fake-agent.js'

const windowOf = (uuid: string, extra = '') => `${CDP}/window?cluster_uuid=${DEMO.cluster}&volume_uuid=${uuid}${extra}`
const policy = (capacity: number, duration: number) => ({ cdp_priority: 'mid', reserve_capacity: capacity, reserve_duration: duration })

t.test('history short of 85% of reserve_duration after CDP was on long enough is a warning', async (t) => {
  const { app, sim } = await openTestApp(t, { snapshotIntervalSeconds: 60 })
  await call(app, 'POST', `${CDP}/edit`, { ...policy(1 << 30, 100), volumes: [volume(DEMO.cdp1)] })
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  sim.advance(50n * SECOND)
  const young = await call(app, 'GET', windowOf(DEMO.cdp1))
  t.match(young, { status: 200, body: { scode: 0, data: { configured_seconds: 100, actual_seconds: 50, on_seconds: 50, pressure: 'ok' } } })
  // At 200 s the 60 s snapshots kept are 120 and 180: 80 s of history.
  sim.advance(150n * SECOND)
  const old = await call(app, 'GET', windowOf(DEMO.cdp1))
  t.match(old.body.data, { actual_seconds: 80, on_seconds: 200, pressure: 'warning' })
})

t.test('the warning fraction is the API\'s setting', async (t) => {
  const { app, sim } = await openTestApp(t, { snapshotIntervalSeconds: 60, app: { windowWarningFraction: 0.5 } })
  await call(app, 'POST', `${CDP}/edit`, { ...policy(1 << 30, 100), volumes: [volume(DEMO.cdp1)] })
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  sim.advance(200n * SECOND)
  t.match((await call(app, 'GET', windowOf(DEMO.cdp1))).body.data, { actual_seconds: 80, pressure: 'ok' })
})

t.test('capacity retention cutting history short of reserve_duration is shrinking, with its gap', async (t) => {
  const { app, sim } = await openTestApp(t, { snapshotIntervalSeconds: 60 })
  await call(app, 'POST', `${CDP}/edit`, { ...policy(4 * 4096, 3600), volumes: [volume(DEMO.cdp1)] })
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  for (let i = 1; i <= 4; i++) {
    sim.write(DEMO.cdp1, [{ offset: 0, length: 2 * 4096, fill: i }])
    sim.advance(60n * SECOND)
  }
  const { body } = await call(app, 'GET', windowOf(DEMO.cdp1))
  t.equal(body.data.pressure, 'shrinking')
  t.equal(body.data.gaps[0].reason, 'trimmed_by_capacity')
  t.ok(body.data.use <= body.data.capacity, 'the journal is back under reserve_capacity')
  t.equal(BigInt(body.data.gaps[0].to) + 1n, BigInt(body.data.ranges[0].from), 'the trimmed gap ends where history now starts')
})

t.test('bad input is refused with a clear envelope; another tenant\'s volume is not found', async (t) => {
  const { app } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  t.match(await call(app, 'GET', `${CDP}/window?cluster_uuid=${DEMO.cluster}`), { status: 400, body: { scode: Scode.MISSING_PARAMETER.scode } })
  t.match(await call(app, 'GET', windowOf('not-a-uuid')), { status: 400, body: { scode: Scode.INVALID_UUID.scode } })
  t.match(await call(app, 'GET', windowOf(DEMO.cdp1, `&tenant=${DEMO.lin}`)), { status: 404, body: { scode: Scode.VOLUME_NOT_FOUND.scode } })
})

t.test('the window route needs a token like every other CDP route', async (t) => {
  const { sim } = await openTestApp(t)
  const app = await buildApp({ backend: sim, tokens: [{ token: 'a-global-token-0123456789' }] })
  t.teardown(() => app.close())
  const refused = await app.inject({ method: 'GET', url: windowOf(DEMO.cdp1) })
  t.equal(refused.statusCode, 401)
  const allowed = await app.inject({ method: 'GET', url: windowOf(DEMO.cdp1), headers: { authorization: 'Bearer a-global-token-0123456789' } })
  t.equal(JSON.parse(allowed.body).scode, Scode.CDP_NOT_FOUND.scode)
})

t.test('an agent that lacks the operation (ROUTE_NOT_FOUND) is AGENT_OPERATION_UNSUPPORTED, 501', async (t) => {
  const agent = await startAgent(t, () => fail('ROUTE_NOT_FOUND', 'POST /agent/v1/window'))
  const app = await buildApp({ backend: agentBackend(t, wholeCluster(agent.url)) })
  t.teardown(() => app.close())
  const answer = await call(app, 'GET', windowOf(DEMO.cdp1))
  t.match(answer, { status: 501, body: { scode: 5030, data: null } })
  t.equal(agent.count('/window'), 1, 'not retried')
})

t.test('events: paged and filtered by since over HTTP; bad input refused, changing nothing', async (t) => {
  const { app, sim } = await openTestApp(t, { snapshotIntervalSeconds: 60 })
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  sim.advance(120n * SECOND)
  await call(app, 'POST', `${CDP}/disable`, { volumes: [volume(DEMO.cdp1)] })
  const eventsOf = (extra: string) => `${CDP}/events?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}${extra}`
  const all = await call(app, 'GET', eventsOf(''))
  t.match(all, { status: 200, body: { scode: 0, data: { total_count: 7 } } })
  t.same(all.body.data.events.map((e: { kind: string }) => e.kind),
    ['enabled', 'segment_opened', 'auto_snapshot', 'auto_snapshot', 'auto_snapshot', 'segment_closed', 'disabled'])
  const since = all.body.data.events[2].time
  const page = await call(app, 'GET', eventsOf(`&since=${since}&page_num=1&page_size=2`))
  t.same(page.body.data, { total_count: 4, events: all.body.data.events.slice(5, 7) })
  for (const bad of ['&since=-1', '&since=1e9', '&page_size=1001', '&page_num=-1']) {
    t.match(await call(app, 'GET', eventsOf(bad)), { status: 400, body: { data: null } }, bad)
  }
  t.equal((await call(app, 'GET', eventsOf(''))).body.data.total_count, 7, 'nothing was recorded by the refused calls')
})
