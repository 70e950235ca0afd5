// A console developer's client, generated from the live /docs/json with openapi-typescript
// and called with openapi-fetch: the document names the spec's records, marks every 64-bit
// field, and a program calling every endpoint type-checks against the generated named types
// and runs against a listening server with no ns lost (given the lossless decoder the
// document asks for).
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import openapiTS, { astToString } from 'openapi-typescript'
import t from 'tap'
import { bareNode } from '../../helpers/node-child.js'
import ts from 'typescript'
import { DEMO, openTestApp } from '../../helpers/app.js'
import { parseExact } from '../../../src/json.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')
const START = 1630057893506590075n
type Doc = { paths: Record<string, Record<string, Record<string, unknown>>>, components: { schemas: Record<string, any>, securitySchemes: Record<string, unknown> } }

/** Every schema node of the document, with where it is. */
function * nodes (value: unknown, path = '#'): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(value)) { for (const [i, v] of value.entries()) yield * nodes(v, `${path}/${i}`); return }
  if (typeof value !== 'object' || value === null) return
  yield [path, value as Record<string, unknown>]
  for (const [k, v] of Object.entries(value)) if (k !== 'example') yield * nodes(v, `${path}/${k}`)
}

async function liveDocument (t: Parameters<typeof openTestApp>[0]) {
  const { app } = await openTestApp(t, { clockStart: START })
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  const doc = JSON.parse(await (await fetch(`${baseUrl}/docs/json`)).text()) as Doc
  return { baseUrl, doc }
}

t.test('the document: named records, formats, operationIds, tags, scodes, security, nullables as OpenAPI 3.0 says', async (t) => {
  const { baseUrl, doc } = await liveDocument(t)
  const schemas = doc.components.schemas
  for (const name of ['InternalVolumeIdentifier', 'Output', 'InternalVolumeCdpListInfo', 'EachResourceRangeListState', 'CdpInfoResponse', 'CdpSnapshotInfo', 'CdpBatchResult', 'ErrorOutput', 'VolumeIdentity']) {
    t.ok(schemas[name], `components.schemas.${name}`)
  }
  const props = (name: string) => schemas[name].properties as Record<string, any>
  for (const [record, field] of [['CdpInfoResponse', 'seq'], ['CdpInfoResponse', 'startTime'], ['CdpInfoResponse', 'use'], ['CdpInfoResponse', 'capacity'], ['CdpInfoResponse', 'ioStartTime'], ['CdpInfoResponse', 'ioLastTime'], ['CdpSnapshotInfo', 'time'], ['InternalVolumeCdpListInfo', 'reserve_duration'], ['InternalVolumeCdpListInfo', 'reserve_capacity']] as const) {
    t.match(props(record)[field], { type: 'integer', format: 'uint64', description: /lossless/ }, `${record}.${field} is uint64`)
  }
  t.match(props('InternalVolumeCdpListInfo').cdp_create_time, { type: 'integer', format: 'int64' })
  t.match(props('CdpEditRequest').reserve_capacity.anyOf[0], { type: 'integer', format: 'uint64' }, 'request uint64s too')
  t.strictSame(props('CdpViewData').cdp_info, { description: props('CdpViewData').cdp_info.description, type: 'array', items: { $ref: '#/components/schemas/CdpInfoResponse' }, nullable: true }, 'view cdp_info: []CdpInfoResponse or null')
  t.match(props('Output').stack, { type: 'string', nullable: true })
  t.match(props('ErrorOutput').data, { type: 'object', nullable: true })
  t.notOk([...nodes(doc)].some(([, node]) => Array.isArray(node.enum) && node.enum.includes(null)), 'no enum:[null] anywhere')
  t.strictSame(schemas.CdpViewRequest.required, ['cluster_uuid', 'volume_uuid', 'op', 'snapshot_name', 'timestamp'], 'view requires what the spec requires')
  t.strictSame(schemas.InternalVolumeIdentifier.required, ['cluster_uuid', 'volume_uuid'])
  const listParams = doc.paths['/v1/volume/internal/cdp/list']?.get?.parameters as Array<{ name: string, required: boolean }>
  t.strictSame(listParams.filter((p) => p.required).map((p) => p.name), ['cluster_uuid'], 'page_num and page_size optional')
  t.match(doc.components.securitySchemes, { bearerAuth: { type: 'http', scheme: 'bearer' } })

  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })))
  const ids = operations.map(({ op }) => op.operationId)
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  for (const { path, method, op } of operations) {
    t.match(op, { operationId: /^[a-z][A-Za-z]+$/, tags: [/./] }, `${method} ${path}: operationId and tag`)
    // The simulator's own control API keeps its Chinese summaries.
    if (!path.startsWith('/sim/')) t.match(op, { summary: /^[A-Z]/ }, `${method} ${path}: English summary`)
    t.notOk(Object.values(op.responses as object).some((r: { description: string }) => r.description === 'Default Response'), `${method} ${path}: responses described`)
  }
  const view = doc.paths['/v1/volume/internal/cdp/view']?.post as any
  t.match(view.description, /^卷cdp查看/, 'the spec\'s Chinese beside the English summary')
  t.ok(view['x-scodes'].some((s: { name: string, scode: number }) => s.name === 'VIEW_ALREADY_ON' && s.scode === 4003), 'view lists VIEW_ALREADY_ON')
  t.match(view.responses['409'].description, /4003 VIEW_ALREADY_ON/)
  t.match(view.requestBody.content['application/json'].example, { op: 'on', snapshot_name: 'CDP-auto-1630060807' }, 'the spec\'s example')
  for (const path of ['/healthz', '/readyz']) t.match(doc.paths[path]?.get, { security: [], tags: ['ops'] }, `${path} documented, public`)
  t.match(doc.paths['/metrics']?.get, { tags: ['ops'] }, '/metrics documented')
  t.notOk('security' in (doc.paths['/metrics']?.get ?? {}), '/metrics needs the bearer token')
  const raw = await (await fetch(`${baseUrl}/docs/json`)).text()
  t.ok(raw.includes('"ioLastTime":1630057911140129264'), 'the info example keeps its ns exactly')
})

t.test('openapi-typescript + openapi-fetch: a program calling every endpoint type-checks against the named types and runs', async (t) => {
  const { baseUrl, doc } = await liveDocument(t)
  // openapi-typescript's documented `transform` hook: uint64 as what a lossless decoder yields.
  const ast = await openapiTS(doc as never, {
    transform: (schema) => schema.format === 'uint64'
      ? ts.factory.createUnionTypeNode([ts.factory.createKeywordTypeNode(ts.SyntaxKind.BigIntKeyword), ts.factory.createKeywordTypeNode(ts.SyntaxKind.NumberKeyword)])
      : undefined
  })
  const dir = mkdtempSync(join(tmpdir(), 'volume-cdp-generated-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }')
  writeFileSync(join(dir, 'api.ts'), astToString(ast))
  writeFileSync(join(dir, 'program.ts'), PROGRAM)
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] },
    files: ['program.ts']
  }))
  t.doesNotThrow(() => execFileSync(...bareNode([TSC, '-p', 'tsconfig.json']), { cwd: dir, encoding: 'utf8', stdio: 'pipe' }), 'the program type-checks against the generated types')

  const { stdout } = await promisify(execFile)(...bareNode(['--import', 'tsx', 'program.ts', baseUrl]), { cwd: dir, encoding: 'utf8' })
  const out = parseExact(stdout) as Record<string, any>
  t.strictSame(out.batches, [1, 1, 1], 'edit, enable, disable: one success each')
  t.equal(typeof out.ioLastTime, 'bigint')
  t.equal(out.ioLastTime, out.secondWrite, 'info\'s ioLastTime is exactly the last write\'s ns')
  t.equal(out.viewedAt, out.ioLastTime, 'the view is exactly at the ns read from info and sent back')
  t.equal(out.host, DEMO.host1)
  t.equal(out.listed, DEMO.cdp1)
  t.strictSame(out.afterClean, { status: 404, scode: 3003 }, 'errors typed as ErrorOutput')
})

const PROGRAM = `
import createClient from 'openapi-fetch'
import { isSafeNumber, parse, stringify } from 'lossless-json'
import type { components, paths } from './api.js'

type S = components['schemas']
const [baseUrl = ''] = process.argv.slice(2)
// The lossless decoder the document asks for: integers above 2^53 as bigint.
class LosslessResponse extends Response {
  override async json (): Promise<unknown> {
    return parse(await this.text(), null, (n) => isSafeNumber(n) ? Number(n) : BigInt(n))
  }
}
const client = createClient<paths>({
  baseUrl,
  bodySerializer: (body) => stringify(body) ?? '',
  fetch: async (request) => {
    const res = await fetch(request)
    return new LosslessResponse(await res.text(), { status: res.status, headers: res.headers })
  }
})
function must<T> (answer: { data?: T, error?: unknown }): T {
  if (answer.data === undefined) throw new Error(stringify(answer.error) ?? 'no data')
  return answer.data
}

const volume: S['InternalVolumeIdentifier'] = { cluster_uuid: '${DEMO.cluster}', tenant: '${DEMO.ken}', volume_uuid: '${DEMO.cdp1}' }
const edit: S['CdpBatchOutput'] = must(await client.POST('/v1/volume/internal/cdp/edit', { body: { cdp_priority: 'mid', reserve_capacity: 32212254720n, reserve_duration: 86400, volumes: [volume] } }))
const enable: S['CdpBatchResult'] = must(await client.POST('/v1/volume/internal/cdp/enable', { body: { volumes: [volume] } })).data
const write = async () => must(await client.POST('/sim/v1/volumes/{volume_uuid}/writes', { params: { path: { volume_uuid: volume.volume_uuid } }, body: { writes: [{ offset: 0, length: 4096, fill: 7 }] } })).data.time
await write()
must(await client.POST('/sim/v1/clock/advance', { body: { nanoseconds: 1 } }))
const secondWrite = await write()

const list: S['InternalVolumeCdpListInfo'][] = must(await client.GET('/v1/volume/internal/cdp/list', { params: { query: { cluster_uuid: volume.cluster_uuid, filter_name: 'cdp-1' } } })).data.List
const info: S['CdpInfoData'] = must(await client.GET('/v1/volume/internal/cdp/info', { params: { query: volume } })).data
const segment: S['CdpInfoResponse'] | undefined = info.cdp_info[0]
const snap: S['CdpSnapshotInfo'] | undefined = segment?.snaps[0]
if (segment === undefined || snap === undefined) throw new Error('no segment')
const ioLastTime: bigint | number = segment.ioLastTime
// uint64 is generated as bigint | number (format uint64), never a bare number.
const wide: S['CdpInfoResponse']['ioLastTime'] = 1n

const view: S['CdpViewData'] = must(await client.POST('/v1/volume/internal/cdp/view', { body: { ...volume, op: 'on', snapshot_name: snap.name, timestamp: ioLastTime } })).data
const cdpInfo: S['CdpInfoResponse'][] | null = view.cdp_info
const viewedAt = must(await client.GET('/sim/v1/volumes/{volume_uuid}/view/image', { params: { path: { volume_uuid: volume.volume_uuid } } })).data.time
must(await client.POST('/v1/volume/internal/cdp/view', { body: { ...volume, op: 'off', snapshot_name: snap.name, timestamp: ioLastTime } }))
const empty: S['EmptyOutput'] = must(await client.POST('/v1/volume/internal/cdp/revert', { body: { ...volume, snapshot_name: snap.name, timestamp: ioLastTime } }))
const disable: S['CdpBatchResult'] = must(await client.POST('/v1/volume/internal/cdp/disable', { body: { volumes: [volume] } })).data
must(await client.POST('/v1/volume/internal/cdp/clean', { body: volume }))
const gone = await client.GET('/v1/volume/internal/cdp/info', { params: { query: volume } })
const failure: S['ErrorOutput'] | undefined = gone.error
must(await client.GET('/healthz'))
must(await client.GET('/readyz'))

console.log(stringify({
  batches: [edit.data.success, enable.success, disable.success],
  ioLastTime, wide, secondWrite, viewedAt, host: view.host_uuid, cdpInfo, revert: empty.scode,
  listed: list[0]?.volume_uuid,
  afterClean: { status: gone.response.status, scode: failure?.scode }
}))
`
