// Every bad request is a 4xx envelope whose scode names the problem, and leaves the
// simulator exactly as it was (list and info compared before and after).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { CDP, DEMO, call, openTestApp, volume } from '../../helpers/app.js'
import { Scode, type ScodeName } from '../../../src/errors.js'

const ken = volume(DEMO.kenVolume, { tenant: DEMO.ken })
const policy = { cdp_priority: 'mid', reserve_capacity: 1073741824, reserve_duration: 3600 }
const point = { snapshot_name: 'CDP-auto-1630053321', timestamp: '1630053321000000000' }
const manyVolumes = Array.from({ length: 1001 }, () => ken)
const JSON_TYPE = { 'content-type': 'application/json' }

interface BadRequest {
  name: string
  method: 'GET' | 'POST'
  url: string
  /** Sent as is when a string, as JSON otherwise. */
  body?: unknown
  headers?: Record<string, string>
  scode: ScodeName
  /** Words the desc must contain: it names the field or the problem. */
  desc?: string
}

const cases: BadRequest[] = [
  { name: 'malformed JSON', method: 'POST', url: `${CDP}/enable`, body: '{"volumes": [', scode: 'INVALID_JSON' },
  { name: 'the spec\'s clean example', method: 'POST', url: `${CDP}/clean`, body: readFileSync('fixtures/spec-examples/06-clean.request.json', 'utf8'), scode: 'INVALID_JSON' },
  { name: 'duplicate keys', method: 'POST', url: `${CDP}/clean`, body: '{"cluster_uuid":"a","cluster_uuid":"b"}', scode: 'INVALID_JSON' },
  { name: '"abc" for a uint64', method: 'POST', url: `${CDP}/edit`, body: { ...policy, reserve_capacity: 'abc', volumes: [ken] }, scode: 'INVALID_UINT64', desc: 'reserve_capacity' },
  { name: '"abc" for page_num is not coerced', method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_num=abc`, scode: 'INVALID_PARAMETER', desc: 'page_num' },
  { name: 'a number for a string', method: 'POST', url: `${CDP}/view`, body: { ...ken, op: 'on', snapshot_name: 7, timestamp: 1 }, scode: 'INVALID_PARAMETER', desc: 'snapshot_name' },
  { name: 'a string for a boolean is not coerced in a body', method: 'POST', url: `/sim/v1/hosts/${DEMO.host1}/state`, body: { online: 'false' }, scode: 'INVALID_PARAMETER', desc: 'online' },
  { name: 'negative uint64', method: 'POST', url: `${CDP}/edit`, body: { ...policy, reserve_duration: -1, volumes: [ken] }, scode: 'INVALID_UINT64', desc: 'reserve_duration' },
  { name: 'fractional uint64', method: 'POST', url: `${CDP}/revert`, body: { ...ken, ...point, timestamp: 1.5 }, scode: 'INVALID_UINT64', desc: 'timestamp' },
  { name: 'uint64 above 2^64-1 as a number', method: 'POST', url: `${CDP}/revert`, body: `{"cluster_uuid":"${DEMO.cluster}","volume_uuid":"${DEMO.kenVolume}","snapshot_name":"x","timestamp":18446744073709551616}`, scode: 'INVALID_UINT64', desc: 'timestamp' },
  { name: 'uint64 above 2^64-1 as a string', method: 'POST', url: `${CDP}/clean`, body: { ...ken, usd_seq: '18446744073709551616' }, scode: 'INVALID_UINT64', desc: 'usd_seq' },
  { name: 'negative page_size', method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_size=-1`, scode: 'INVALID_PARAMETER', desc: 'page_size' },
  { name: 'unknown cdp_priority', method: 'POST', url: `${CDP}/edit`, body: { ...policy, cdp_priority: 'urgent', volumes: [ken] }, scode: 'INVALID_PARAMETER', desc: 'cdp_priority' },
  { name: 'unknown op', method: 'POST', url: `${CDP}/view`, body: { ...ken, ...point, op: 'toggle' }, scode: 'INVALID_PARAMETER', desc: 'op' },
  { name: 'view on without snapshot_name', method: 'POST', url: `${CDP}/view`, body: { ...ken, op: 'on', timestamp: 1 }, scode: 'MISSING_PARAMETER', desc: 'snapshot_name' },
  { name: 'empty volumes', method: 'POST', url: `${CDP}/enable`, body: { volumes: [] }, scode: 'INVALID_PARAMETER', desc: 'volumes' },
  { name: 'missing volumes', method: 'POST', url: `${CDP}/disable`, body: { cluster_uuid: DEMO.cluster }, scode: 'MISSING_PARAMETER', desc: 'volumes' },
  { name: 'over 1,000 volumes', method: 'POST', url: `${CDP}/edit`, body: { ...policy, volumes: manyVolumes }, scode: 'TOO_MANY_VOLUMES' },
  { name: 'missing reserve_capacity', method: 'POST', url: `${CDP}/edit`, body: { cdp_priority: 'mid', reserve_duration: 1, volumes: [ken] }, scode: 'MISSING_PARAMETER', desc: 'reserve_capacity' },
  { name: 'missing volume_uuid inside volumes', method: 'POST', url: `${CDP}/enable`, body: { volumes: [{ cluster_uuid: DEMO.cluster }] }, scode: 'MISSING_PARAMETER', desc: 'volumes[0].volume_uuid' },
  { name: 'missing cluster_uuid in a query', method: 'GET', url: `${CDP}/info?volume_uuid=${DEMO.kenVolume}`, scode: 'MISSING_PARAMETER', desc: 'cluster_uuid' },
  { name: 'missing timestamp on revert', method: 'POST', url: `${CDP}/revert`, body: { ...ken, snapshot_name: 'x' }, scode: 'MISSING_PARAMETER', desc: 'timestamp' },
  { name: 'no body at all', method: 'POST', url: `${CDP}/clean`, scode: 'MISSING_PARAMETER', desc: 'body' },
  { name: 'a JSON array for a body', method: 'POST', url: `${CDP}/clean`, body: [], scode: 'INVALID_PARAMETER', desc: 'body' },
  { name: 'malformed volume_uuid (one character short)', method: 'POST', url: `${CDP}/enable`, body: { volumes: [volume('aae751ba-8b97-4259-9579-c40cbb806d9')] }, scode: 'INVALID_UUID', desc: 'volumes[0].volume_uuid' },
  { name: 'malformed tenant', method: 'GET', url: `${CDP}/list?cluster_uuid=${DEMO.cluster}&tenant=ken`, scode: 'INVALID_UUID', desc: 'tenant' },
  { name: 'malformed uuid in a control path', method: 'GET', url: '/sim/v1/volumes/not-a-uuid/image', scode: 'INVALID_UUID', desc: 'volume_uuid' },
  { name: 'wrong content type', method: 'POST', url: `${CDP}/enable`, body: JSON.stringify({ volumes: [ken] }), headers: { 'content-type': 'text/plain' }, scode: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'missing content type', method: 'POST', url: `${CDP}/enable`, body: JSON.stringify({ volumes: [ken] }), headers: {}, scode: 'UNSUPPORTED_MEDIA_TYPE' },
  { name: 'body over the limit', method: 'POST', url: `${CDP}/enable`, body: JSON.stringify({ volumes: [ken], pad: 'x'.repeat(1024 * 1024) }), scode: 'BODY_TOO_LARGE' },
  { name: '__proto__ key', method: 'POST', url: `${CDP}/enable`, body: `{"volumes":[${JSON.stringify(ken)}],"__proto__":{"polluted":true}}`, scode: 'INVALID_JSON', desc: '__proto__' },
  { name: 'constructor key', method: 'POST', url: `${CDP}/enable`, body: `{"volumes":[${JSON.stringify(ken)}],"constructor":{"prototype":{"polluted":true}}}`, scode: 'INVALID_JSON', desc: 'constructor' },
  { name: 'malformed url encoding', method: 'GET', url: `${CDP}/list?cluster_uuid=%zz`, scode: 'INVALID_UUID', desc: 'cluster_uuid' },
  { name: 'unknown route', method: 'GET', url: '/v1/volume/internal/cdp/nothing', scode: 'ROUTE_NOT_FOUND' },
  { name: 'advance by both seconds and nanoseconds', method: 'POST', url: '/sim/v1/clock/advance', body: { seconds: 1, nanoseconds: 1 }, scode: 'INVALID_PARAMETER' },
  { name: 'a fill write over the block cap', method: 'POST', url: `/sim/v1/volumes/${DEMO.cdp1}/writes`, body: { writes: [{ offset: 0, length: 4096 * 16385, fill: 1 }] }, scode: 'INVALID_WRITE' },
  { name: 'a misaligned write', method: 'POST', url: `/sim/v1/volumes/${DEMO.cdp1}/writes`, body: { writes: [{ offset: 1, length: 4096, fill: 1 }] }, scode: 'INVALID_WRITE' }
]

t.test('bad requests: a 4xx envelope naming the problem, and no change', async (t) => {
  const { app, sim } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/edit`, { ...policy, volumes: [ken, volume(DEMO.cdp1)] })
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 9 }])
  const state = async () => ({
    list: await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`),
    info: await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`),
    image: sim.image(DEMO.cdp1),
    clock: sim.clock()
  })
  const before = await state()

  for (const bad of cases) {
    const res = await app.inject({
      method: bad.method,
      url: bad.url,
      headers: bad.headers ?? (bad.body === undefined ? {} : JSON_TYPE),
      ...(bad.body === undefined ? {} : { payload: typeof bad.body === 'string' ? bad.body : JSON.stringify(bad.body) })
    })
    const entry = Scode[bad.scode]
    const body = JSON.parse(res.body) as Record<string, unknown>
    t.equal(res.statusCode, entry.status, `${bad.name}: HTTP ${entry.status}`)
    t.ok(res.statusCode >= 400 && res.statusCode < 500, `${bad.name}: a 4xx`)
    t.strictSame({ ...body, desc: '' }, { scode: entry.scode, desc: '', message: entry.message, message_cn: entry.message_cn, stack: null, data: null }, `${bad.name}: ${bad.scode} envelope`)
    if (bad.desc !== undefined) t.match(body.desc, bad.desc, `${bad.name}: desc names ${bad.desc}`)
  }

  t.strictSame(await state(), before, 'list, info, image and clock unchanged')
})

/** Refusals whose desc is asserted whole: a client reads from it which field is wrong and how. */
const exactDescs: Array<Omit<BadRequest, 'desc'> & { desc: string }> = [
  { name: 'a missing field inside an item', method: 'POST', url: `${CDP}/enable`, body: { volumes: [{ cluster_uuid: DEMO.cluster }] }, scode: 'MISSING_PARAMETER', desc: 'volumes[0].volume_uuid is required' },
  {
    name: 'a bad field in the 13th item (a two-digit index)',
    method: 'POST',
    url: `${CDP}/enable`,
    body: { volumes: [...Array.from({ length: 12 }, () => ken), volume('not-a-uuid')] },
    scode: 'INVALID_UUID',
    desc: 'volumes[12].volume_uuid must be a uuid'
  },
  { name: 'a value outside an enum', method: 'POST', url: `${CDP}/edit`, body: { ...policy, cdp_priority: 'urgent', volumes: [ken] }, scode: 'INVALID_PARAMETER', desc: 'cdp_priority must be one of high, mid, low' },
  { name: 'a number for a string', method: 'POST', url: `${CDP}/view`, body: { ...ken, op: 'on', snapshot_name: 7, timestamp: 1 }, scode: 'INVALID_PARAMETER', desc: 'snapshot_name must be string' },
  { name: 'a JSON array for a body', method: 'POST', url: `${CDP}/clean`, body: [], scode: 'INVALID_PARAMETER', desc: 'body must be object' },
  { name: 'over 1,000 volumes', method: 'POST', url: `${CDP}/edit`, body: { ...policy, volumes: manyVolumes }, scode: 'TOO_MANY_VOLUMES', desc: 'volumes must have at most 1000 items' },
  // Only volumes' limit is TOO_MANY_VOLUMES: another array over its maxItems is an ordinary bad parameter.
  {
    name: 'another array over its limit',
    method: 'POST',
    url: `/sim/v1/volumes/${DEMO.cdp1}/writes`,
    body: { writes: Array.from({ length: 1025 }, () => ({ offset: 0, length: 4096, fill: 1 })) },
    scode: 'INVALID_PARAMETER',
    desc: 'writes must NOT have more than 1024 items'
  },
  { name: 'a wrong content type', method: 'POST', url: `${CDP}/enable`, body: '{}', headers: { 'content-type': 'text/plain' }, scode: 'UNSUPPORTED_MEDIA_TYPE', desc: 'content type "text/plain" is not supported' },
  { name: 'no content type', method: 'POST', url: `${CDP}/enable`, body: '{}', headers: {}, scode: 'UNSUPPORTED_MEDIA_TYPE', desc: 'content type "" is not supported' }
]

t.test('a refusal\'s desc names the field, by its path in the body, and says what is wrong with it', async (t) => {
  const { app } = await openTestApp(t)
  for (const bad of exactDescs) {
    const res = await app.inject({ method: bad.method, url: bad.url, headers: bad.headers ?? JSON_TYPE, payload: typeof bad.body === 'string' ? bad.body : JSON.stringify(bad.body) })
    const body = JSON.parse(res.body) as { scode: number, desc: string }
    t.same({ status: res.statusCode, scode: body.scode, desc: body.desc }, { status: Scode[bad.scode].status, scode: Scode[bad.scode].scode, desc: bad.desc }, bad.name)
  }
})
