// Live answers against the document: every answer of a scenario of good and bad requests
// (2xx, 400, 401, 404, 409, 413, 415) has a status the operation documents, a body valid for
// that response's schema, and, when it failed, a scode the operation lists. The document is
// checked by @seriousme/openapi-schema-validator and the bodies by an Ajv instance of this
// test's own, built from the document alone (not the app's validators or serializers).
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv } from 'ajv'
import t from 'tap'
import { CDP, DEMO, openTestApp, stringifyLossless, volume } from '../../helpers/app.js'

const TOKEN = 'answers-test-token-0123456789'
const cdp1 = volume(DEMO.cdp1, { tenant: DEMO.ken })
const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

t.test('every answer fits its documented response and lists its scode', async (t) => {
  const { app, sim } = await openTestApp(t, { clockStart: 1630057893506590075n, app: { tokens: [{ token: TOKEN }] } })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const doc = await (await fetch(`${base}/docs/json`)).json() as { paths: Record<string, Record<string, any>> }
  const checked = await new Validator().validate(doc as never)
  t.ok(checked.valid, `the document is valid OpenAPI 3.0: ${JSON.stringify(checked.errors)}`)

  const ajv = new Ajv({ strict: false, allErrors: true })
  for (const format of ['uuid', 'uint64', 'int64']) ajv.addFormat(format, true)
  ajv.addSchema({ ...doc, $id: 'openapi.json' })
  const seen = new Set<string>()

  /** `path` as the document has it; `{name}` segments are filled from `params`. */
  async function send (method: 'GET' | 'POST', path: string, options: { params?: Record<string, string>, query?: Record<string, string>, body?: unknown, raw?: string, headers?: Record<string, string>, token?: boolean } = {}) {
    const filled = path.replace(/\{(\w+)\}/g, (_m, name: string) => options.params?.[name] ?? '')
    const url = `${base}${filled}${options.query === undefined ? '' : `?${new URLSearchParams(options.query).toString()}`}`
    const headers: Record<string, string> = { ...(options.token === false ? {} : { authorization: `Bearer ${TOKEN}` }), ...options.headers }
    const body = options.raw ?? (options.body === undefined ? undefined : stringifyLossless(options.body))
    if (body !== undefined) headers['content-type'] ??= 'application/json'
    const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) })
    const answer = JSON.parse(await res.text()) as { scode: number }
    const op = doc.paths[path]?.[method.toLowerCase()]
    const name = `${method} ${path} → ${res.status} scode ${answer.scode}`
    t.ok(op, `${name}: documented operation`)
    const status = [String(res.status), `${String(res.status)[0]}XX`].find((s) => op?.responses[s] !== undefined)
    t.ok(status, `${name}: status documented`)
    if (status === undefined) return answer
    const validate = ajv.getSchema(`openapi.json#/${pointer('paths', path, method.toLowerCase(), 'responses', status, 'content', 'application/json', 'schema')}`)
    t.ok(validate?.(answer), `${name}: body fits (${JSON.stringify(validate?.errors)})`)
    if (answer.scode !== 0 && op['x-scodes'] !== undefined) t.ok(op['x-scodes'].some((s: { scode: number }) => s.scode === answer.scode), `${name}: scode listed in x-scodes`)
    seen.add(`${res.status}`)
    return answer
  }

  const cdp = (op: string) => `${CDP}/${op}`
  await send('POST', cdp('edit'), { body: { cdp_priority: 'mid', reserve_capacity: 32212254720, reserve_duration: 86400, volumes: [cdp1] } })
  await send('POST', cdp('enable'), { body: { volumes: [cdp1, volume(DEMO.vol1)] } })
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  await send('GET', cdp('list'), { query: { cluster_uuid: DEMO.cluster, page_num: '0', page_size: '10' } })
  await send('GET', cdp('info'), { query: cdp1 })
  // The exact point from the simulator: this test reads answers with plain JSON.parse.
  const segment = (await sim.info(cdp1)).cdp_info[0]
  const point = { snapshot_name: segment?.snaps[0]?.name, timestamp: segment?.ioLastTime }
  await send('POST', cdp('view'), { body: { ...cdp1, op: 'on', ...point } })
  await send('POST', cdp('view'), { body: { ...cdp1, op: 'on', ...point } })
  await send('POST', cdp('revert'), { body: { ...cdp1, ...point } })
  await send('POST', cdp('view'), { body: { ...cdp1, op: 'off' } })
  await send('POST', cdp('revert'), { body: { ...cdp1, ...point } })
  const group = { cluster_uuid: DEMO.cluster, volumes: [cdp1, volume(DEMO.vol1)] }
  await send('POST', cdp('group/view'), { body: { ...group, op: 'on', timestamp: point.timestamp } })
  await send('POST', cdp('group/view'), { body: { ...group, op: 'off' } })
  await send('POST', cdp('group/revert'), { body: { ...group, timestamp: point.timestamp } })
  await send('POST', cdp('group/revert'), { body: { cluster_uuid: DEMO.cluster, vm_uuid: DEMO.kenVm, timestamp: point.timestamp } })
  await send('POST', cdp('group/revert'), { body: { cluster_uuid: DEMO.cluster, timestamp: point.timestamp } })
  const span = { ...cdp1, from: String(point.timestamp), to: String(point.timestamp) }
  await send('GET', cdp('changes'), { query: span })
  await send('GET', cdp('changes'), { query: { ...span, page_token: 'forged' } })
  await send('GET', cdp('changes'), { query: { ...span, from: '1' } })
  await send('POST', cdp('clean'), { body: cdp1 })
  await send('POST', cdp('disable'), { body: { volumes: [cdp1] } })
  await send('POST', cdp('clean'), { body: { ...cdp1, usd_seq: 99 } })
  await send('POST', cdp('clean'), { body: cdp1 })
  await send('GET', cdp('info'), { query: cdp1 })
  await send('GET', cdp('info'), { query: { ...cdp1, volume_uuid: 'not-a-uuid' } })
  await send('GET', cdp('list'), { query: { cluster_uuid: DEMO.cluster, page_num: 'abc' } })
  await send('POST', cdp('edit'), { body: { cdp_priority: 'mid', reserve_capacity: -1, reserve_duration: 86400, volumes: [cdp1] } })
  await send('POST', cdp('view'), { raw: '{"op":' })
  await send('POST', cdp('revert'), { raw: 'x', headers: { 'content-type': 'text/plain' } })
  await send('POST', cdp('enable'), { raw: JSON.stringify({ volumes: [cdp1], pad: 'x'.repeat(2 * 1024 * 1024) }) })
  await send('GET', cdp('list'), { query: { cluster_uuid: DEMO.cluster }, token: false })
  await send('GET', '/healthz', { token: false })
  await send('GET', '/readyz', { token: false })
  await send('GET', '/sim/v1/volumes/{volume_uuid}/image', { params: { volume_uuid: DEMO.cdp1 } })
  await send('GET', '/sim/v1/volumes/{volume_uuid}/view/image', { params: { volume_uuid: DEMO.cdp1 } })
  t.strictSame([...seen].sort(), ['200', '400', '401', '404', '409', '413', '415'], 'the scenario met each status class it means to')
})
