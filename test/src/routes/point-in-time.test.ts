// info, view, revert and clean: ns times travel exactly both ways, views and reverts act
// on the point they name, clean tells an absent usd_seq from 0.
import t from 'tap'
import { CDP, DEMO, SECOND, call, openTestApp, volume } from '../../helpers/app.js'

const cdp1 = volume(DEMO.cdp1, { tenant: DEMO.ken })
const infoUrl = `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}&tenant=${DEMO.ken}`
/** Not a whole second, and above 2^53: any rounding would show. */
const START = 1630057893506590075n

async function withHistory (t: Parameters<typeof openTestApp>[0]) {
  const opened = await openTestApp(t, { clockStart: START })
  const { app, sim } = opened
  await call(app, 'POST', `${CDP}/enable`, { volumes: [cdp1] })
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  sim.advance(17n * SECOND + 633539189n)
  const between = sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 2 }]).time
  sim.advance(10n * SECOND)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 3 }])
  return { ...opened, between }
}

t.test('info prints ns times exactly, as JSON integers', async (t) => {
  const { app } = await withHistory(t)
  const raw = (await app.inject({ method: 'GET', url: infoUrl })).body
  t.match(raw, '"snaps":[{"name":"CDP-auto-1630057893","time":1630057893506590075}]')
  t.match(raw, '"startTime":1630057893506590075,')
  t.match(raw, '"ioStartTime":1630057893506590076,', 'the first write has the ns after the enable')
})

t.test('a time read from info selects exactly that point, sent as integer or string', async (t) => {
  const { app, sim, between } = await withHistory(t)
  const info = await call(app, 'GET', infoUrl)
  const snap = info.body.data.cdp_info[0].snaps[0]
  t.equal(snap.time, START, 'read back losslessly')
  for (const timestamp of [between, between.toString()]) {
    const on = await call(app, 'POST', `${CDP}/view`, { ...cdp1, op: 'on', snapshot_name: snap.name, timestamp })
    t.strictSame(on.body.data, { cdp_info: null, host_uuid: DEMO.host1 }, `view on (${typeof timestamp})`)
    t.strictSame(sim.viewImage(DEMO.cdp1), sim.image(DEMO.cdp1, between), 'the view is the image at that ns')
    t.not(sim.viewImage(DEMO.cdp1).digest, sim.image(DEMO.cdp1, between - 1n).digest, 'and not the ns before')
    const infoWithView = await call(app, 'GET', infoUrl)
    t.equal(infoWithView.body.data.host_uuid, DEMO.host1, 'info names the view host')
    const off = await call(app, 'POST', `${CDP}/view`, { ...cdp1, op: 'off' })
    t.strictSame(off.body.data, { cdp_info: null, host_uuid: '' })
  }
})

t.test('a second view is refused and a revert waits for the view to close', async (t) => {
  const { app, between } = await withHistory(t)
  const point = { snapshot_name: 'CDP-auto-1630057893', timestamp: between }
  await call(app, 'POST', `${CDP}/view`, { ...cdp1, op: 'on', ...point })
  t.equal((await call(app, 'POST', `${CDP}/view`, { ...cdp1, op: 'on', ...point })).body.scode, 4003, 'VIEW_ALREADY_ON')
  const refused = await call(app, 'POST', `${CDP}/revert`, { ...cdp1, ...point })
  t.equal(refused.status, 409)
  t.equal(refused.body.scode, 4004, 'VIEW_IS_ON')
})

t.test('revert rolls back to the point and can itself be undone', async (t) => {
  const { app, sim, between } = await withHistory(t)
  const before = sim.image(DEMO.cdp1)
  sim.advance(SECOND)
  const revertedAt = sim.clock().now
  const revert = await call(app, 'POST', `${CDP}/revert`, { ...cdp1, snapshot_name: 'CDP-auto-1630057893', timestamp: between.toString() })
  t.strictSame(revert.body, { scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data: {} })
  t.equal(sim.image(DEMO.cdp1).digest, sim.image(DEMO.cdp1, between).digest, 'the volume is as it was then')
  sim.advance(SECOND)
  await call(app, 'POST', `${CDP}/revert`, { ...cdp1, snapshot_name: 'CDP-auto-1630057893', timestamp: revertedAt - 1n })
  t.equal(sim.image(DEMO.cdp1).digest, before.digest, 'reverting to just before the revert undoes it')
})

t.test('revert of a volume in use by a running VM is refused', async (t) => {
  const { app, sim } = await openTestApp(t)
  const ken = volume(DEMO.kenVolume)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [ken] })
  sim.write(DEMO.kenVolume, [{ offset: 0, length: 4096, fill: 1 }])
  const res = await call(app, 'POST', `${CDP}/revert`, { ...ken, snapshot_name: 'CDP-auto-1630053321', timestamp: 1630053321000000000n })
  t.equal(res.body.scode, 4005, 'VOLUME_IN_USE')
})

t.test('clean without usd_seq deletes the CDP; usd_seq 0 deletes segment 0 only', async (t) => {
  const { app, sim } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [cdp1] })
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  await call(app, 'POST', `${CDP}/disable`, { volumes: [cdp1] })
  await call(app, 'POST', `${CDP}/enable`, { volumes: [cdp1] })
  const seqs = async () => (await call(app, 'GET', infoUrl)).body.data.cdp_info.map((s: { seq: number }) => s.seq)
  t.strictSame(await seqs(), [0, 1])
  t.equal((await call(app, 'POST', `${CDP}/clean`, { ...cdp1, usd_seq: 1 })).body.scode, 4002, 'the active segment: SEGMENT_ACTIVE')
  t.equal((await call(app, 'POST', `${CDP}/clean`, { ...cdp1, usd_seq: 0 })).status, 200)
  t.strictSame(await seqs(), [1], 'usd_seq 0 removed segment 0 only')
  t.equal((await call(app, 'POST', `${CDP}/clean`, cdp1)).body.scode, 4001, 'whole CDP while on: CDP_IS_ON')
  await call(app, 'POST', `${CDP}/disable`, { volumes: [cdp1] })
  t.equal((await call(app, 'POST', `${CDP}/clean`, cdp1)).status, 200)
  t.equal((await call(app, 'GET', infoUrl)).body.scode, 3003, 'no CDP left: CDP_NOT_FOUND')
})
