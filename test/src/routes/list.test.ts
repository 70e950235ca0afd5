// list: 0-based pages, page_size 0 or absent for all, a true TotalCount, a stable order,
// filter on name or uuid, tenant scoping, one range per namespace.
import t, { type Test } from 'tap'
import { CDP, DEMO, call, openTestApp, volume } from '../../helpers/app.js'

const ALL = [DEMO.kenVolume, DEMO.vol1, DEMO.cdp1, DEMO.linVolume]

async function listed (t: Test, query: string) {
  const { app } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/edit`, { cdp_priority: 'low', reserve_capacity: 1073741824, reserve_duration: 60, volumes: ALL.map((uuid) => volume(uuid)) })
  return (await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}${query}`)).body.data
}

const names = (data: { List: Array<{ volume_name: string }> }) => data.List.map((v) => v.volume_name)

t.test('page_num is 0-based and TotalCount is the true total', async (t) => {
  const all = await listed(t, '')
  t.equal(all.TotalCount, 4)
  t.equal(all.List.length, 4)
  const first = await listed(t, '&page_num=0&page_size=3')
  const second = await listed(t, '&page_num=1&page_size=3')
  t.strictSame([...names(first), ...names(second)], names(all), 'pages follow one stable order')
  t.equal(second.TotalCount, 4)
  const past = await listed(t, '&page_num=9&page_size=3')
  t.strictSame(past.List, [], 'a page past the end is empty')
  t.equal(past.TotalCount, 4)
  t.strictSame(names(await listed(t, '&page_num=0&page_size=0')), names(all), 'page_size 0 is everything')
})

t.test('filter_name matches names and uuids, case-insensitively', async (t) => {
  t.strictSame(names(await listed(t, '&filter_name=KEN-VM')), ['ken-vm-1-volume1-0'])
  t.strictSame(names(await listed(t, `&filter_name=${DEMO.cdp1.slice(0, 8)}`)), ['cdp-1'])
  t.equal((await listed(t, '&filter_name=')).TotalCount, 4, 'empty matches all')
})

t.test('tenant scopes the list and its ranges', async (t) => {
  const ken = await listed(t, `&tenant=${DEMO.ken}`)
  t.equal(ken.TotalCount, 3)
  t.notOk(names(ken).includes('lin-vm-1-volume1-0'), 'no volume of another tenant')
  t.strictSame(ken.each_range_list_state.map((r: { namespace_uuid: string }) => r.namespace_uuid), [DEMO.namespace])
  const all = await listed(t, '')
  t.equal(all.each_range_list_state.length, 2, 'one range per namespace of the cluster')
  t.strictSame(all.each_range_list_state.map((r: { total_count: number }) => r.total_count), [3, 1])
  t.strictSame(all.each_range_list_state[0].result, { scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data: '' })
})

t.test('an unknown cluster is CLUSTER_NOT_FOUND', async (t) => {
  const { app } = await openTestApp(t)
  const res = await call(app, 'GET', `${CDP}/list?cluster_uuid=00000000-0000-4000-8000-000000000000`)
  t.equal(res.status, 404)
  t.equal(res.body.scode, 3001)
})
