// The simulator as a node agent: every operation of the agent protocol v1 through inject,
// uint64 exact both ways, bad bodies refused with nothing changed, errors with the
// catalogue's scode and HTTP status, and the control API on the same app.
import t, { type Test } from 'tap'
import { buildAgentServer } from '../../simulator/agent-server.js'
import { FaultRules } from '../../simulator/faults.js'
import { AGENT_PREFIX, UINT64_STRINGS_MEDIA, operations } from '../../src/backend/agent/protocol.js'
import { decodeStrings } from '../../src/schemas/wire.js'
import { SECOND, call } from '../helpers/app.js'
import { openDemo, ref, writeBlock } from '../helpers/simulator.js'
import { DEMO, demoIdentity, demoTopology } from '../helpers/demo.js'
import { parseExact, printExact } from '../../src/json.js'

/** Not a whole second, and above 2^53: any rounding would show. */
const START = 1630057893506590075n
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

async function openAgent (t: Test, clockStart = START) {
  const sim = openDemo(t, { clock: { mode: 'manual', start: clockStart } })
  const app = await buildAgentServer({ simulator: sim })
  t.teardown(() => app.close())
  const post = async (path: string, body?: unknown) => await call(app, 'POST', `${AGENT_PREFIX}${path}`, body)
  return { app, sim, post }
}

function ok (data: unknown) {
  return { scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data }
}

const cdp1Identity = demoIdentity('cdp-1')

t.test('health answers the protocol version and the features it lists, in the envelope', async (t) => {
  const { post } = await openAgent(t)
  const res = await post('/health', {})
  t.equal(res.status, 200)
  t.strictSame(res.body, ok({ protocol: 1, features: ['uint64-strings', 'list-after'] }))
})

t.test('edit, enable and disable answer one result per volume; a failed volume does not stop the others', async (t) => {
  const { post, sim } = await openAgent(t)
  const edit = await post('/edit', {
    policy: { cdp_priority: 'high', reserve_capacity: 32212254720, reserve_duration: '3600' },
    volumes: [ref(DEMO.cdp1), ref(UNKNOWN)]
  })
  t.equal(edit.status, 200)
  t.strictSame(edit.body.data.results[0], { scode: 0, desc: '', volume: cdp1Identity })
  t.equal(edit.body.data.results[1].scode, 3002, 'VOLUME_NOT_FOUND for the unknown volume')
  t.equal(edit.body.data.results[1].volume.volume_uuid, UNKNOWN, 'the failure still names the volume')
  const enable = await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  t.strictSame(enable.body, ok({ results: [{ scode: 0, desc: '', volume: cdp1Identity }] }))
  const listed = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.match(listed.List, [{ volume_uuid: DEMO.cdp1, cdp_state: 'on', cdp_priority: 'high', reserve_capacity: 32212254720n, reserve_duration: 3600n }])
  const disable = await post('/disable', { volumes: [ref(DEMO.cdp1), ref(DEMO.vol1)] })
  t.strictSame(disable.body.data.results.map((r: { scode: number }) => r.scode), [0, 3003], 'vol-1 has no CDP: CDP_NOT_FOUND')
  t.equal((await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })).List[0]?.cdp_state, 'off')
})

t.test('list answers the cluster, each range\'s total and the first `limit` items (0: all)', async (t) => {
  const { post } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1), ref(DEMO.vol1), ref(DEMO.kenVolume), ref(DEMO.linVolume)] })
  const all = await post('/list', { cluster_uuid: DEMO.cluster, limit: 0 })
  t.equal(all.status, 200)
  t.strictSame(all.body.data.cluster, { uuid: DEMO.cluster, name: 'cluster_name_236', mode: '' })
  t.strictSame(all.body.data.ranges, [{ namespace_uuid: DEMO.namespace, total_count: 3 }, { namespace_uuid: DEMO.linNamespace, total_count: 1 }])
  t.equal(all.body.data.items.length, 4)
  t.strictSame(all.body.data.items.map((i: { volume_name: string }) => i.volume_name), [...all.body.data.items.map((i: { volume_name: string }) => i.volume_name)].sort())
  t.strictSame(Object.keys(all.body.data.items[0]).sort(), [
    'cdp_create_time', 'cdp_priority', 'cdp_state', 'cluster_mode', 'cluster_name', 'cluster_uuid', 'reserve_capacity',
    'reserve_duration', 'tenant', 'tenant_name', 'vm_name', 'vm_uuid', 'volume_name', 'volume_uuid'
  ])
  const two = await post('/list', { cluster_uuid: DEMO.cluster, limit: 2 })
  t.strictSame(two.body.data.items, all.body.data.items.slice(0, 2), 'limit keeps the first items')
  t.strictSame(two.body.data.ranges, all.body.data.ranges, 'totals are whole whatever the limit')
})

t.test('list covers only the namespaces asked for, minus those excluded, as the tenant sees them', async (t) => {
  const { post } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1), ref(DEMO.linVolume)] })
  const only = await post('/list', { cluster_uuid: DEMO.cluster, namespaces: [DEMO.linNamespace], limit: 0 })
  t.strictSame(only.body.data.ranges, [{ namespace_uuid: DEMO.linNamespace, total_count: 1 }])
  t.strictSame(only.body.data.items.map((i: { volume_uuid: string }) => i.volume_uuid), [DEMO.linVolume])
  const except = await post('/list', { cluster_uuid: DEMO.cluster, exclude_namespaces: [DEMO.linNamespace], limit: 0 })
  t.strictSame(except.body.data.ranges, [{ namespace_uuid: DEMO.namespace, total_count: 1 }])
  const lin = await post('/list', { cluster_uuid: DEMO.cluster, tenant: DEMO.lin, filter_name: 'LIN', limit: 0 })
  t.strictSame(lin.body.data.ranges, [{ namespace_uuid: DEMO.linNamespace, total_count: 1 }])
  const none = await post('/list', { cluster_uuid: DEMO.cluster, tenant: DEMO.lin, namespaces: [DEMO.namespace], limit: 0 })
  t.strictSame(none.body.data, { cluster: { uuid: DEMO.cluster, name: 'cluster_name_236', mode: '' }, ranges: [], items: [] },
    'no range left still names the cluster')
  const unknown = await post('/list', { cluster_uuid: UNKNOWN, limit: 0 })
  t.equal(unknown.status, 404)
  t.equal(unknown.body.scode, 3001, 'CLUSTER_NOT_FOUND')
})

t.test('uint64 travels exactly: info prints ns as JSON integers; the same digits select that point', async (t) => {
  const { app, post, sim } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  writeBlock(sim, DEMO.cdp1, 0, 1)
  sim.advance(17n * SECOND + 633539189n)
  const between = writeBlock(sim, DEMO.cdp1, 0, 2)
  sim.advance(10n * SECOND)
  writeBlock(sim, DEMO.cdp1, 0, 3)
  const raw = (await app.inject({ method: 'POST', url: `${AGENT_PREFIX}/info`, payload: { volume: ref(DEMO.cdp1) } })).body
  t.match(raw, '"snaps":[{"name":"CDP-auto-1630057893","time":1630057893506590075}]')
  t.match(raw, '"startTime":1630057893506590075,')
  const info = await post('/info', { volume: ref(DEMO.cdp1) })
  t.strictSame(info.body.data, parseExact(printExact(await sim.info(ref(DEMO.cdp1)))), 'the whole answer is the simulator\'s')
  for (const timestamp of [between, between.toString()]) {
    // A JSON integer above 2^53, written out digit for digit.
    const body = `{"volume":${printExact(ref(DEMO.cdp1))},"point":{"snapshot_name":"CDP-auto-1630057893","timestamp":${typeof timestamp === 'bigint' ? timestamp.toString() : `"${timestamp}"`}}}`
    const on = await post('/view/on', body)
    t.strictSame(on.body, ok({ host_uuid: DEMO.host1 }), `view on (${typeof timestamp})`)
    t.strictSame(sim.viewImage(DEMO.cdp1), sim.image(DEMO.cdp1, between), 'the view is the image at that ns')
    t.not(sim.viewImage(DEMO.cdp1).digest, sim.image(DEMO.cdp1, between - 1n).digest, 'and not the ns before')
    t.equal((await post('/info', { volume: ref(DEMO.cdp1) })).body.data.host_uuid, DEMO.host1, 'info names the view host')
    t.strictSame((await post('/view/off', { volume: ref(DEMO.cdp1) })).body, ok({}))
  }
})

t.test('asked for uint64 strings, an answer says so in its media type and writes each uint64 as decimal digits; a failure stays plain', async (t) => {
  const { app, post, sim } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  writeBlock(sim, DEMO.cdp1, 0, 1)
  const asked = async (path: string, payload: unknown) =>
    await app.inject({ method: 'POST', url: `${AGENT_PREFIX}${path}`, headers: { accept: UINT64_STRINGS_MEDIA }, payload: payload as object })
  const info = await asked('/info', { volume: ref(DEMO.cdp1) })
  t.equal(info.headers['content-type'], UINT64_STRINGS_MEDIA)
  t.match(info.body, '"snaps":[{"name":"CDP-auto-1630057893","time":"1630057893506590075"}]')
  t.match(info.body, '"seq":"0","startTime":"1630057893506590075",')
  t.strictSame(decodeStrings(operations.info.answer, (JSON.parse(info.body) as { data: unknown }).data, 'AGENT_BAD_RESPONSE'), await sim.info(ref(DEMO.cdp1)))
  const list = await asked('/list', { cluster_uuid: DEMO.cluster, limit: 1 })
  t.match(list.body, '"reserve_duration":"86400"')
  t.match(list.body, '"cdp_create_time":1630057893,', 'other integers stay JSON numbers')
  const missing = await asked('/info', { volume: ref(UNKNOWN) })
  t.equal(missing.statusCode, 404)
  t.match(missing.headers['content-type'], /^application\/json; charset=utf-8$/)
})

t.test('revert rolls the volume back to the point; refusals carry their scode and status', async (t) => {
  const { post, sim } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1), ref(DEMO.kenVolume)] })
  writeBlock(sim, DEMO.cdp1, 0, 1)
  sim.advance(SECOND)
  const point = { snapshot_name: 'CDP-auto-1630057893', timestamp: sim.clock().now }
  writeBlock(sim, DEMO.cdp1, 0, 2)
  await post('/view/on', { volume: ref(DEMO.cdp1), point })
  const again = await post('/view/on', { volume: ref(DEMO.cdp1), point })
  t.equal(again.status, 409)
  t.equal(again.body.scode, 4003, 'VIEW_ALREADY_ON')
  const refused = await post('/revert', { volume: ref(DEMO.cdp1), point })
  t.strictSame([refused.status, refused.body.scode, refused.body.data, refused.body.stack], [409, 4004, null, null], 'VIEW_IS_ON')
  await post('/view/off', { volume: ref(DEMO.cdp1) })
  t.strictSame((await post('/revert', { volume: ref(DEMO.cdp1), point })).body, ok({}))
  t.equal(sim.image(DEMO.cdp1).digest, sim.image(DEMO.cdp1, point.timestamp).digest, 'the volume is as it was then')
  const inUse = await post('/revert', { volume: ref(DEMO.kenVolume), point })
  t.strictSame([inUse.status, inUse.body.scode], [409, 4005], 'VOLUME_IN_USE')
  const noView = await post('/view/off', { volume: ref(DEMO.cdp1) })
  t.strictSame([noView.status, noView.body.scode], [404, 3006], 'VIEW_NOT_FOUND')
  const notMine = await post('/info', { volume: ref(DEMO.cdp1, DEMO.lin) })
  t.strictSame([notMine.status, notMine.body.scode], [404, 3002], 'another tenant\'s volume is not found')
})

t.test('clean without usd_seq deletes the whole CDP; usd_seq 0 deletes segment 0 only', async (t) => {
  const { post, sim } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  writeBlock(sim, DEMO.cdp1, 0, 1)
  await post('/disable', { volumes: [ref(DEMO.cdp1)] })
  await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  const seqs = async () => (await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.seq)
  t.strictSame(await seqs(), [0n, 1n])
  t.equal((await post('/clean', { volume: ref(DEMO.cdp1), usd_seq: 1 })).body.scode, 4002, 'the active segment: SEGMENT_ACTIVE')
  t.strictSame((await post('/clean', { volume: ref(DEMO.cdp1), usd_seq: 0 })).body, ok({}))
  t.strictSame(await seqs(), [1n], 'usd_seq 0 removed segment 0 only')
  t.equal((await post('/clean', { volume: ref(DEMO.cdp1) })).body.scode, 4001, 'whole CDP while on: CDP_IS_ON')
  await post('/disable', { volumes: [ref(DEMO.cdp1)] })
  t.strictSame((await post('/clean', { volume: ref(DEMO.cdp1) })).body, ok({}))
  const gone = await post('/info', { volume: ref(DEMO.cdp1) })
  t.strictSame([gone.status, gone.body.scode], [404, 3003], 'no CDP left: CDP_NOT_FOUND')
})

t.test('a body that does not fit its operation is a 400 INVALID_PARAMETER and changes nothing', async (t) => {
  const policy = { cdp_priority: 'mid', reserve_capacity: 1073741824, reserve_duration: 3600 }
  const point = { snapshot_name: 'CDP-auto-1630057893', timestamp: START }
  const bad: Array<[string, string, unknown]> = [
    ['edit', 'no volumes', { policy }],
    ['edit', 'an empty volume list', { policy, volumes: [] }],
    ['edit', 'an unknown priority', { policy: { ...policy, cdp_priority: 'urgent' }, volumes: [ref(DEMO.cdp1)] }],
    ['edit', 'reserve_capacity "abc"', { policy: { ...policy, reserve_capacity: 'abc' }, volumes: [ref(DEMO.cdp1)] }],
    ['edit', 'a negative reserve_duration', { policy: { ...policy, reserve_duration: -1 }, volumes: [ref(DEMO.cdp1)] }],
    ['edit', 'a fractional reserve_duration', { policy: { ...policy, reserve_duration: 1.5 }, volumes: [ref(DEMO.cdp1)] }],
    ['edit', 'reserve_capacity of 2^64', `{"policy":{"cdp_priority":"mid","reserve_capacity":18446744073709551616,"reserve_duration":1},"volumes":[${printExact(ref(DEMO.cdp1))}]}`],
    ['enable', 'a malformed volume uuid', { volumes: [{ cluster_uuid: DEMO.cluster, volume_uuid: 'ddc4adf3-830e-4ec3-b1dc-85571aea15c' }] }],
    ['enable', 'volumes as an object', { volumes: ref(DEMO.cdp1) }],
    ['disable', 'no body', undefined],
    ['list', 'limit "10"', { cluster_uuid: DEMO.cluster, limit: '10' }],
    ['list', 'no limit', { cluster_uuid: DEMO.cluster }],
    ['list', 'a malformed namespace', { cluster_uuid: DEMO.cluster, namespaces: ['ken'], limit: 0 }],
    ['info', 'no volume', {}],
    ['clean', 'usd_seq -1', { volume: ref(DEMO.cdp1), usd_seq: -1 }],
    ['clean', 'usd_seq "zero"', { volume: ref(DEMO.cdp1), usd_seq: 'zero' }],
    ['view/on', 'no point', { volume: ref(DEMO.cdp1) }],
    ['view/on', 'an empty snapshot name', { volume: ref(DEMO.cdp1), point: { ...point, snapshot_name: '' } }],
    ['revert', 'timestamp as a float', { volume: ref(DEMO.cdp1), point: { ...point, timestamp: 1.5 } }],
    ['revert', 'a body that is an array', [ref(DEMO.cdp1)]]
  ]
  const { post, sim } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  writeBlock(sim, DEMO.cdp1, 0, 1)
  sim.advance(SECOND)
  writeBlock(sim, DEMO.cdp1, 0, 2)
  const before = { info: await sim.info(ref(DEMO.cdp1)), image: sim.image(DEMO.cdp1), list: await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 }) }
  for (const [op, what, body] of bad) {
    const res = await post(`/${op}`, body)
    t.equal(res.status, 400, `${op} with ${what}: 400`)
    t.match(res.body, { scode: 1002, message: 'invalid request parameter', message_cn: '请求参数不合法', stack: null, data: null }, `${op} with ${what}: INVALID_PARAMETER`)
    t.not(res.body.desc, '', `${op} with ${what}: desc names the fault`)
  }
  t.strictSame({ info: await sim.info(ref(DEMO.cdp1)), image: sim.image(DEMO.cdp1), list: await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 }) }, before, 'nothing changed')
})

t.test('malformed JSON, other content types and unknown operations get the envelope', async (t) => {
  const { app, post } = await openAgent(t)
  const broken = await post('/enable', '{"volumes":[{cluster_uuid:1}]}')
  t.strictSame([broken.status, broken.body.scode], [400, 1001], 'INVALID_JSON')
  const text = await app.inject({ method: 'POST', url: `${AGENT_PREFIX}/health`, headers: { 'content-type': 'text/plain' }, payload: '{}' })
  t.strictSame([text.statusCode, JSON.parse(text.body).scode], [415, 1007], 'UNSUPPORTED_MEDIA_TYPE')
  const unknown = await post('/snapshot', {})
  t.strictSame([unknown.status, unknown.body.scode], [404, 1010], 'ROUTE_NOT_FOUND')
  const get = await call(app, 'GET', `${AGENT_PREFIX}/health`)
  t.strictSame([get.status, get.body.scode], [405, 1011], 'operations are POST only: METHOD_NOT_ALLOWED')
})

t.test('the simulator control API is mounted at /sim/v1 on the same app', async (t) => {
  const { app, post } = await openAgent(t, 1630053321n * SECOND)
  t.strictSame((await call(app, 'GET', '/sim/v1/clock')).body, ok({ now: 1630053321n * SECOND, mode: 'manual' }))
  t.strictSame((await call(app, 'POST', '/sim/v1/clock/advance', { seconds: 5 })).body.data.now, 1630053326n * SECOND)
  await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  const written = await call(app, 'POST', `/sim/v1/volumes/${DEMO.cdp1}/writes`, { writes: [{ offset: 0, length: 4096, fill: 7 }] })
  t.strictSame(written.body.data, { count: 1, time: 1630053326n * SECOND + 1n }, 'the ns after the enable')
  const info = await post('/info', { volume: ref(DEMO.cdp1) })
  t.equal(info.body.data.cdp_info[0].ioLastTime, 1630053326n * SECOND + 1n, 'the agent sees the control API\'s write')
})

t.test('edit below the minimums gets the same scodes over the agent protocol', async (t) => {
  const { post } = await openAgent(t)
  const small = await post('/edit', { policy: { cdp_priority: 'mid', reserve_capacity: 0, reserve_duration: 60 }, volumes: [ref(DEMO.cdp1)] })
  const short = await post('/edit', { policy: { cdp_priority: 'mid', reserve_capacity: 4096, reserve_duration: 0 }, volumes: [ref(DEMO.cdp1)] })
  t.strictSame([small.body.data.results[0].scode, short.body.data.results[0].scode], [1030, 1031])
})

/** A simulator answer as it reads after a trip through JSON: what the agent's answer is compared with. */
const asJson = (value: unknown): unknown => parseExact(printExact(value))

t.test('window, events and changes answer the simulator\'s own, their queries passed through', async (t) => {
  const { post, sim } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  const first = writeBlock(sim, DEMO.cdp1, 0, 1)
  sim.advance(SECOND)
  sim.setHostOnline(DEMO.host1, false)
  sim.setHostOnline(DEMO.host1, true)
  sim.advance(SECOND)
  writeBlock(sim, DEMO.cdp1, 2, 2)
  const last = writeBlock(sim, DEMO.cdp1, 5, 3)
  t.strictSame((await post('/window', { volume: ref(DEMO.cdp1) })).body, ok(asJson(await sim.window(ref(DEMO.cdp1)))))
  const all = await sim.events(ref(DEMO.cdp1), { page_num: 0, page_size: 0 })
  const since = { since: first, page_num: 0, page_size: 1 }
  const some = await sim.events(ref(DEMO.cdp1), since)
  t.not(some.events.length, all.events.length, 'since and page_size leave some out')
  t.strictSame((await post('/events', { volume: ref(DEMO.cdp1), ...since })).body, ok(asJson(some)))
  const query = { from: first, to: last, start: 4096n, limit: 1 }
  const changes = await sim.changes(ref(DEMO.cdp1), query)
  t.match(changes, { extents: [{ offset: 2n * 4096n }] }, 'start and limit leave the first and the last extent out')
  t.strictSame((await post('/changes', { volume: ref(DEMO.cdp1), ...query })).body, ok(asJson(changes)))
})

t.test('protection answers the first `limit` volumes and counts every CDP volume', async (t) => {
  const { post, sim } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1), ref(DEMO.vol1), ref(DEMO.kenVolume)] })
  const res = await post('/protection', { limit: 1 })
  t.equal(res.body.data.total_count, 3, 'three volumes have CDP')
  t.strictSame(res.body.data.volumes, asJson((await sim.protection(1)).volumes))
  t.equal(res.body.data.volumes.length, 1)
})

t.test('group calls: a VM\'s members, then view on, view off and revert of them, each result with its snapshot and host', async (t) => {
  const { post, sim } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.kenVolume)] })
  const members = await post('/group/members', { cluster_uuid: DEMO.cluster, vm_uuid: DEMO.kenVm })
  t.strictSame(members.body, ok({ volumes: asJson(await sim.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: DEMO.kenVm })) }))
  t.strictSame(members.body.data.volumes.map((v: { volume_uuid: string }) => v.volume_uuid), [DEMO.kenVolume])
  writeBlock(sim, DEMO.kenVolume, 0, 1)
  sim.advance(SECOND)
  const point = writeBlock(sim, DEMO.kenVolume, 1, 2)
  sim.advance(SECOND)
  writeBlock(sim, DEMO.kenVolume, 0, 3)
  const ken = demoIdentity('ken-vm-1-volume1-0')
  const on = await post('/group/view/on', { volumes: [ref(DEMO.kenVolume)], timestamp: point })
  t.strictSame(on.body, ok({ time: sim.clock().now, results: [{ scode: 0, desc: '', volume: ken, snapshot_name: 'CDP-auto-1630057893', host_uuid: DEMO.host1 }] }))
  t.strictSame(sim.viewImage(DEMO.kenVolume), sim.image(DEMO.kenVolume, point), 'the view is the image at that ns')
  const off = await post('/group/view/off', { volumes: [ref(DEMO.kenVolume)] })
  t.match(off.body.data.results, [{ scode: 0, desc: '', volume: ken, snapshot_name: '', host_uuid: '' }])
  const busy = await post('/group/revert', { volumes: [ref(DEMO.kenVolume)], timestamp: point })
  t.match(busy.body.data.results, [{ scode: 4005, volume: ken }], 'its VM runs: VOLUME_IN_USE')
  t.not(busy.body.data.results[0].desc, '', 'the failure says why')
  sim.setVmRunning(DEMO.kenVm, false)
  const reverted = await post('/group/revert', { volumes: [ref(DEMO.kenVolume)], timestamp: point })
  t.match(reverted.body.data, { time: sim.clock().now, results: [{ scode: 0, desc: '', volume: ken, snapshot_name: 'CDP-auto-1630057893' }] })
  t.equal(sim.image(DEMO.kenVolume).digest, sim.image(DEMO.kenVolume, point).digest, 'the volume is as it was then')
})

t.test('list after a cursor answers the items after it (offset counting from there) and how many are at or before it', async (t) => {
  const { post } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1), ref(DEMO.vol1), ref(DEMO.kenVolume), ref(DEMO.linVolume)] })
  const all = (await post('/list', { cluster_uuid: DEMO.cluster, limit: 0 })).body.data.items as Array<{ volume_name: string, volume_uuid: string }>
  const after = { volume_name: all[1]!.volume_name, volume_uuid: all[1]!.volume_uuid }
  const rest = await post('/list', { cluster_uuid: DEMO.cluster, limit: 0, after })
  t.strictSame(rest.body.data.items, all.slice(2))
  t.equal(rest.body.data.before, 2)
  const one = await post('/list', { cluster_uuid: DEMO.cluster, limit: 1, offset: 1, after })
  t.strictSame([one.body.data.items, one.body.data.before], [all.slice(3, 4), 2])
  t.notOk('before' in (await post('/list', { cluster_uuid: DEMO.cluster, limit: 0 })).body.data, 'no cursor, no before')
})

t.test('the cluster of a list answer is the simulator\'s, whatever the case of the uuid asked', async (t) => {
  const { post } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1)] })
  const upper = DEMO.cluster.toUpperCase()
  t.strictSame((await post('/list', { cluster_uuid: upper, limit: 0 })).body.data.cluster, { uuid: DEMO.cluster, name: 'cluster_name_236', mode: '' })
  const none = await post('/list', { cluster_uuid: upper, tenant: DEMO.lin, namespaces: [DEMO.namespace], limit: 0 })
  t.strictSame(none.body.data, { cluster: { uuid: DEMO.cluster, name: 'cluster_name_236', mode: '' }, ranges: [], items: [] }, 'also when no range is left')
})

t.test('closing the agent server closes its simulator', async (t) => {
  const { app, sim } = await openAgent(t)
  await app.close()
  await t.rejects(async () => await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 }))
})

t.test('the harness and block calls of /sim/v1 are on the agent too: a fault rule added there fails the agent\'s operation, reset clears it; NBD exports are named when served', async (t) => {
  const faults = new FaultRules()
  const sim = openDemo(t, { clock: { mode: 'manual', start: START } })
  const nbd = { exportName: (uuid: string, kind: 'volume' | 'view') => kind === 'volume' ? `vol-${uuid}` : undefined, uri: (name: string) => `nbd://127.0.0.1:10809/${name}` }
  const app = await buildAgentServer({ simulator: sim, faults, nbd })
  t.teardown(() => app.close())
  await call(app, 'POST', '/sim/v1/faults', { operation: 'info', probability: 1, scode: 5002 })
  t.equal(faults.list().length, 1, 'the rule is in the fault rules the agent was given')
  const failed = await call(app, 'POST', `${AGENT_PREFIX}/info`, { volume: ref(DEMO.cdp1) })
  t.equal(failed.body.scode, 5002, 'the agent\'s info fails by the rule')
  sim.advance(SECOND)
  t.strictSame((await call(app, 'POST', '/sim/v1/reset')).body.data, { now: START }, 'reset')
  t.strictSame((await call(app, 'GET', '/sim/v1/faults')).body.data.rules, [], 'and its fault rules are cleared')
  const facts = await call(app, 'GET', `/sim/v1/volumes/${DEMO.cdp1}`)
  t.equal(facts.body.data.nbd_uri, `nbd://127.0.0.1:10809/vol-${DEMO.cdp1}`)
  const plain = await openAgent(t)
  t.equal((await call(plain.app, 'GET', `/sim/v1/volumes/${DEMO.cdp1}`)).body.data.nbd_uri, null, 'no NBD served: none named')
  const rule = await call(plain.app, 'POST', '/sim/v1/faults', { operation: 'info', probability: 1, scode: 5002 })
  t.equal(rule.status, 200, 'an agent given no fault rules has its own')
  t.equal((await plain.post('/info', { volume: ref(DEMO.cdp1) })).body.scode, 5002)
})

t.test('list at an offset that is not a multiple of its limit answers the items from that offset (offset 1, limit 49: 1/49 × 49 is not 1 in floating point)', async (t) => {
  const { post } = await openAgent(t)
  await post('/enable', { volumes: [ref(DEMO.cdp1), ref(DEMO.vol1), ref(DEMO.kenVolume), ref(DEMO.linVolume)] })
  const all = (await post('/list', { cluster_uuid: DEMO.cluster, limit: 0 })).body.data.items as unknown[]
  t.equal(all.length, 4)
  const from1 = await post('/list', { cluster_uuid: DEMO.cluster, limit: 49, offset: 1 })
  t.equal(from1.status, 200)
  t.strictSame(from1.body.data.items, all.slice(1), 'the first item is skipped, the rest fit in the limit')
  const from3 = await post('/list', { cluster_uuid: DEMO.cluster, limit: 2, offset: 3 })
  t.strictSame(from3.body.data.items, all.slice(3), 'offset 3, limit 2: the last item')
})

t.test('the cluster of a list answer carries the mode the topology gives it, also when no range is left', async (t) => {
  const [cluster] = demoTopology.clusters
  if (cluster === undefined) throw new Error('the demo topology has no cluster')
  const topology = { ...demoTopology, clusters: [{ ...cluster, mode: 'stretched' }] }
  const sim = openDemo(t, { topology, clock: { mode: 'manual', start: START } })
  const app = await buildAgentServer({ simulator: sim })
  t.teardown(() => app.close())
  await sim.enable([ref(DEMO.cdp1)])
  const named = { uuid: DEMO.cluster, name: 'cluster_name_236', mode: 'stretched' }
  t.strictSame((await call(app, 'POST', `${AGENT_PREFIX}/list`, { cluster_uuid: DEMO.cluster, limit: 0 })).body.data.cluster, named)
  const none = await call(app, 'POST', `${AGENT_PREFIX}/list`, { cluster_uuid: DEMO.cluster, tenant: DEMO.lin, namespaces: [DEMO.namespace], limit: 0 })
  t.strictSame(none.body.data, { cluster: named, ranges: [], items: [] }, 'named by the whole-cluster look')
})

t.test('the agent server logs through the logger it is given', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const logger = { level: 'info', stream: { write: (line: string) => { lines.push(JSON.parse(line)) } } }
  const app = await buildAgentServer({ simulator: openDemo(t), logger })
  t.teardown(() => app.close())
  t.equal((await call(app, 'POST', `${AGENT_PREFIX}/health`, {})).status, 200)
  t.ok(lines.some((line) => line.msg === 'request completed'), 'the request is logged')
})
