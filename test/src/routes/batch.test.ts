// edit/enable/disable: one envelope per volume in request order, identities from the
// cluster, one volume's failure never stopping the others, tenants never crossed.
import t from 'tap'
import { CDP, DEMO, call, openTestApp, volume } from '../../helpers/app.js'

const policy = { cdp_priority: 'high', reserve_capacity: '1073741824', reserve_duration: 7200 }

t.test('identities are filled in from the cluster when the request names only uuids', async (t) => {
  const { app } = await openTestApp(t)
  const res = await call(app, 'POST', `${CDP}/edit`, { ...policy, volumes: [volume(DEMO.vol1)] })
  t.strictSame(res.body.data.results[0].data, {
    cluster_uuid: DEMO.cluster,
    cluster_name: 'cluster_name_236',
    cluster_mode: '',
    tenant: DEMO.ken,
    tenant_name: 'ken',
    multiple: false,
    vm_type: '',
    volume_uuid: DEMO.vol1,
    volume_name: 'vol-1',
    owner: ''
  })
})

t.test('a failing volume is reported in place and the others still succeed', async (t) => {
  const { app } = await openTestApp(t)
  const unknown = '00000000-0000-4000-8000-000000000000'
  const res = await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.vol1), volume(unknown), volume(DEMO.cdp1)] })
  t.equal(res.status, 200)
  t.equal(res.body.scode, 0)
  t.equal(res.body.data.success, 2)
  t.equal(res.body.data.fail, 1)
  t.strictSame(res.body.data.results.map((r: { scode: number, data: { volume_uuid: string } }) => [r.scode, r.data.volume_uuid]),
    [[0, DEMO.vol1], [3002, unknown], [0, DEMO.cdp1]])
  t.equal(res.body.data.results[1].message, 'volume not found')
  const list = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`)
  t.strictSame(list.body.data.List.map((v: { volume_name: string, cdp_state: string }) => [v.volume_name, v.cdp_state]).sort(),
    [['cdp-1', 'on'], ['vol-1', 'on']])
})

t.test('a volume of another tenant is not found, and nothing of it is shown', async (t) => {
  const { app } = await openTestApp(t)
  const res = await call(app, 'POST', `${CDP}/edit`, { ...policy, volumes: [volume(DEMO.linVolume, { tenant: DEMO.ken })] })
  const result = res.body.data.results[0]
  t.equal(result.scode, 3002, 'VOLUME_NOT_FOUND')
  t.equal(result.data.volume_name, '', 'the name is not leaked')
  t.equal(result.data.tenant_name, '')
  const list = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`)
  t.equal(list.body.data.TotalCount, 0, 'no CDP was created')
})

t.test('edit takes uint64 as JSON integers or decimal strings and lists them as integers', async (t) => {
  const { app } = await openTestApp(t)
  const edit = await call(app, 'POST', `${CDP}/edit`, { ...policy, reserve_duration: '18446744073709551615', volumes: [volume(DEMO.vol1)] })
  t.equal(edit.body.data.success, 1)
  const res = await app.inject({ method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}` })
  t.match(res.body, '"reserve_duration":18446744073709551615,', 'printed exactly, as a JSON integer')
  t.match(res.body, '"reserve_capacity":1073741824,', 'a decimal string taken as its value')
})

t.test('1,000 volumes in one batch are accepted', async (t) => {
  const { app } = await openTestApp(t)
  const res = await call(app, 'POST', `${CDP}/disable`, { volumes: Array.from({ length: 1000 }, () => volume(DEMO.vol1)) })
  t.equal(res.status, 200)
  t.equal(res.body.data.results.length, 1000)
})

t.test('edit below the minimums: each volume reports the limit it breaks, and nothing is created', async (t) => {
  const { app } = await openTestApp(t)
  const small = await call(app, 'POST', `${CDP}/edit`, { ...policy, reserve_capacity: 4095, volumes: [volume(DEMO.vol1)] })
  t.strictSame(small.body.data.results.map((r: { scode: number }) => r.scode), [1030], 'RESERVE_CAPACITY_TOO_SMALL')
  const short = await call(app, 'POST', `${CDP}/edit`, { ...policy, reserve_duration: 0, volumes: [volume(DEMO.vol1)] })
  t.strictSame(short.body.data.results.map((r: { scode: number }) => r.scode), [1031], 'RESERVE_DURATION_TOO_SHORT')
  const list = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`)
  t.equal(list.body.data.TotalCount, 0)
})
