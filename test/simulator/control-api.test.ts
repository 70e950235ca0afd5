// The simulator's control API: clock, writes, images, recoverable ranges and faults, in
// the same envelope; mounted only when a simulator is given.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadTopology, openSimulator, simulatorAppOptions } from '../../simulator/index.js'
import { CDP, DEMO, DEMO_TOPOLOGY, SECOND, call, openTestApp, volume } from '../helpers/app.js'

const SIM = '/sim/v1'
const START = 1630053321n * SECOND

t.test('the clock starts at the spec time and moves by seconds or nanoseconds', async (t) => {
  const { app } = await openTestApp(t)
  t.strictSame((await call(app, 'GET', `${SIM}/clock`)).body.data, { now: START, mode: 'manual' })
  t.strictSame((await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 2 })).body.data.now, START + 2n * SECOND)
  t.strictSame((await call(app, 'POST', `${SIM}/clock/advance`, { nanoseconds: '1' })).body.data.now, START + 2n * SECOND + 1n)
})

t.test('a real clock refuses to be advanced', async (t) => {
  const sim = openSimulator({ db: ':memory:', topology: loadTopology(DEMO_TOPOLOGY), clock: { mode: 'real' } })
  const app = await buildApp({ backend: sim, ...simulatorAppOptions(sim) })
  t.teardown(() => app.close())
  const res = await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 1 })
  t.equal(res.status, 409)
  t.equal(res.body.scode, 4010, 'CLOCK_NOT_MANUAL')
})

t.test('writes (fill or base64 data) change the image; past images stay readable', async (t) => {
  const { app } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  const empty = (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.data
  const written = await call(app, 'POST', `${SIM}/volumes/${DEMO.cdp1}/writes`, {
    writes: [{ offset: 0, length: 8192, fill: 7 }, { offset: 8192, data: Buffer.alloc(4096, 3).toString('base64') }]
  })
  // The enable took START: the write has the next ns (one ns per change).
  t.strictSame(written.body.data, { count: 2, time: START + 1n })
  await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 5 })
  const now = (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.data
  t.not(now.digest, empty.digest)
  t.equal(now.time, START + 1n + 5n * SECOND)
  const then = (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image?at=${START + 1n}`)).body.data
  t.strictSame(then, { digest: now.digest, time: START + 1n }, 'image at the write time is the same content')
  const ranges = (await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/recoverable`)).body.data.ranges
  t.strictSame(ranges, [{ from: START, to: START + 1n + 5n * SECOND, seq: 0 }])
})

t.test('an offline host shows in info; a running VM blocks revert, a stopped one allows it', async (t) => {
  const { app } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.kenVolume)] })
  t.strictSame((await call(app, 'POST', `${SIM}/hosts/${DEMO.host1}/state`, { online: false })).body.data, { online: false })
  const info = await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.kenVolume}`)
  t.equal(info.body.data.cdp_info[0].online, false)
  await call(app, 'POST', `${SIM}/hosts/${DEMO.host1}/state`, { online: true })
  await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 1 })
  await call(app, 'POST', `${SIM}/volumes/${DEMO.kenVolume}/writes`, { writes: [{ offset: 0, length: 4096, fill: 9 }] })
  const image = (await call(app, 'GET', `${SIM}/volumes/${DEMO.kenVolume}/image`)).body.data.digest
  const point = { ...volume(DEMO.kenVolume), snapshot_name: 'CDP-auto-1630053321', timestamp: START }
  t.strictSame((await call(app, 'POST', `${SIM}/vms/${DEMO.kenVm}/state`, { running: true })).body.data, { running: true })
  const refused = await call(app, 'POST', `${CDP}/revert`, point)
  t.same([refused.status, refused.body.scode], [409, 4005], 'a running VM\'s volume is VOLUME_IN_USE')
  t.equal((await call(app, 'GET', `${SIM}/volumes/${DEMO.kenVolume}/image`)).body.data.digest, image, 'and nothing was reverted')
  t.strictSame((await call(app, 'POST', `${SIM}/vms/${DEMO.kenVm}/state`, { running: false })).body.data, { running: false })
  const revert = await call(app, 'POST', `${CDP}/revert`, point)
  t.equal(revert.body.scode, 0, 'a stopped VM\'s volume can be reverted')
  t.not((await call(app, 'GET', `${SIM}/volumes/${DEMO.kenVolume}/image`)).body.data.digest, image, 'and is')
  t.equal((await call(app, 'POST', `${SIM}/hosts/00000000-0000-4000-8000-000000000000/state`, { online: true })).body.scode, 3007)
})

t.test('without a simulator the control API is not mounted', async (t) => {
  const sim = openSimulator({ db: ':memory:', topology: loadTopology(DEMO_TOPOLOGY), clock: { mode: 'manual' } })
  const app = await buildApp({ backend: sim })
  t.teardown(() => app.close())
  const res = await call(app, 'GET', `${SIM}/clock`)
  t.equal(res.status, 404)
  t.equal(res.body.scode, 1010)
})
