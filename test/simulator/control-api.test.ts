// The simulator's control API: clock, writes, images, recoverable ranges and faults, in
// the same envelope; mounted only when a simulator is given.
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { createHttpApp } from '../../src/http-app.js'
import { Scode } from '../../src/errors.js'
import { parseExact } from '../../src/json.js'
import { controlApiMount } from '../../simulator/control-api.js'
import type { NbdNames, SimulatorControl } from '../../simulator/control.js'
import { loadTopology, openSimulator, simulatorAppOptions } from '../../simulator/index.js'
import { CDP, DEMO, DEMO_TOPOLOGY, SECOND, call, openTestApp, servedDocs, volume } from '../helpers/app.js'

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

// The routes over a stand-in SimulatorControl that records each call: what every route asks
// of the simulator, and what it answers back.
type Recorded = Array<[string, unknown[]]>
function recordingControl (answers: Partial<Record<keyof SimulatorControl, (...args: any[]) => unknown>> = {}): { control: SimulatorControl, calls: Recorded } {
  const calls: Recorded = []
  const control = new Proxy({}, {
    get: (_target, name: string) => (...args: unknown[]) => {
      calls.push([name, args])
      return answers[name as keyof SimulatorControl]?.(...args)
    }
  }) as SimulatorControl
  return { control, calls }
}

async function openControlApi (t: Test, control: SimulatorControl, nbd?: NbdNames) {
  const app = createHttpApp()
  const mount = controlApiMount(control, nbd)
  await app.register(mount.plugin, { prefix: mount.prefix })
  t.teardown(() => app.close())
  return app
}

const UUID = '0a7b3c1e-5d2f-4e60-8a91-b2c3d4e5f607'
const CLOCK = { now: 5n, mode: 'manual' as const }

t.test('an advance takes exactly one of seconds and nanoseconds, and refuses past 2^64-1 ns', async (t) => {
  const { control, calls } = recordingControl({ clock: () => CLOCK })
  const app = await openControlApi(t, control)
  for (const body of [{}, { seconds: 1, nanoseconds: 1 }]) {
    const res = await call(app, 'POST', `${SIM}/clock/advance`, body)
    t.match(res, { status: 400, body: { scode: Scode.INVALID_PARAMETER.scode, desc: 'give exactly one of seconds, nanoseconds' } }, JSON.stringify(body))
  }
  const over = await call(app, 'POST', `${SIM}/clock/advance`, { seconds: '18446744074' })
  t.match(over, { status: 400, body: { scode: Scode.INVALID_UINT64.scode, desc: 'seconds in ns exceeds 2^64-1' } })
  t.strictSame(calls, [], 'nothing reached the simulator')

  t.strictSame((await call(app, 'POST', `${SIM}/clock/advance`, { seconds: '18446744073' })).body.data, { now: 5, mode: 'manual' })
  t.strictSame((await call(app, 'POST', `${SIM}/clock/advance`, { nanoseconds: '18446744073709551615' })).status, 200, '2^64-1 ns is allowed')
  t.strictSame((await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 0 })).status, 200)
  t.strictSame(calls, [
    ['advance', [18446744073n * SECOND]], ['clock', []],
    ['advance', [2n ** 64n - 1n]], ['clock', []],
    ['advance', [0n]], ['clock', []]
  ])
})

t.test('writes reach the simulator as block writes; a request of more than 16384 blocks is refused', async (t) => {
  const { control, calls } = recordingControl({ write: (_uuid, writes: unknown[]) => ({ count: writes.length, time: 9n }) })
  const app = await openControlApi(t, control)
  const data = Buffer.alloc(8192, 6)
  const ok = await call(app, 'POST', `${SIM}/volumes/${UUID}/writes`, { writes: [{ offset: 0, length: 16382 * 4096, fill: 1 }, { offset: 0, data: data.toString('base64') }] })
  t.strictSame(ok.body.data, { count: 2, time: 9 }, '16382 + 2 blocks')
  t.strictSame(calls, [['write', [UUID, [{ offset: 0, length: 16382 * 4096, fill: 1 }, { offset: 0, data }]]]])
  calls.length = 0

  const cases: Array<[string, unknown[], number]> = [
    ['a fill of 16385 blocks', [{ offset: 0, length: 16385 * 4096, fill: 1 }], 16385],
    ['16383 blocks of fill and 2 of data', [{ offset: 0, length: 16383 * 4096, fill: 1 }, { offset: 0, data: data.toString('base64') }], 16385],
    ['a fill of 16384 blocks and one byte', [{ offset: 0, length: 16384 * 4096 + 1, fill: 1 }], 16385]
  ]
  for (const [what, writes, blocks] of cases) {
    const res = await call(app, 'POST', `${SIM}/volumes/${UUID}/writes`, { writes })
    t.match(res, { status: 400, body: { scode: Scode.INVALID_WRITE.scode, desc: `one request may write at most 16384 blocks, this one ${blocks}` } }, what)
  }
  t.equal((await call(app, 'POST', `${SIM}/volumes/${UUID}/writes`, { writes: [{ offset: 0, length: 16384 * 4096, fill: 1 }] })).status, 200, 'exactly 16384 blocks')
  t.equal(calls.length, 1, 'only that one reached the simulator')

  const raw = await app.inject({ method: 'POST', url: `${SIM}/volumes/${UUID}/writes`, headers: { 'content-type': 'application/octet-stream' }, payload: data })
  t.match(parseExact(raw.body), { scode: Scode.MISSING_PARAMETER.scode, desc: 'a application/octet-stream write needs ?offset=<bytes>' })
  for (const url of [`${SIM}/volumes/${UUID}/writes`, `${SIM}/volumes/${UUID}/writes?offset=0`]) {
    const none = await app.inject({ method: 'POST', url })
    t.equal(none.statusCode, 400, `no body and no content type (${url}) is the client's mistake`)
    t.match(parseExact(none.body), { scode: Scode.MISSING_PARAMETER.scode, desc: 'a body is required: JSON writes, or application/octet-stream bytes at ?offset=' })
  }
  const json = await app.inject({ method: 'POST', url: `${SIM}/volumes/${UUID}/writes?offset=0`, headers: { 'content-type': 'application/json' }, payload: '{"writes":[{"offset":0,"length":4096,"fill":1}]}' })
  t.match(parseExact(json.body), { scode: Scode.INVALID_PARAMETER.scode, desc: 'offset is for a application/octet-stream body; a JSON write carries its own' })
  const at = await app.inject({ method: 'POST', url: `${SIM}/volumes/${UUID}/writes?offset=4096`, headers: { 'content-type': 'application/octet-stream' }, payload: data })
  t.equal(at.statusCode, 200)
  t.strictSame(calls.slice(1), [['write', [UUID, [{ offset: 4096, data }]]]], 'a raw body is one write at ?offset=')
})

t.test('images, the view\'s image and recoverable ranges are the simulator\'s, for the volume named', async (t) => {
  const { control, calls } = recordingControl({
    image: (_uuid, at?: bigint) => ({ digest: 'd', time: at ?? 1n }),
    viewImage: () => ({ digest: 'v', time: 2n }),
    recoverable: () => ({ ranges: [{ from: 1n, to: 3n, seq: 4n }] })
  })
  const app = await openControlApi(t, control)
  t.strictSame((await call(app, 'GET', `${SIM}/volumes/${UUID}/image`)).body.data, { digest: 'd', time: 1 })
  t.strictSame((await call(app, 'GET', `${SIM}/volumes/${UUID}/image?at=18446744073709551615`)).body.data, { digest: 'd', time: 2n ** 64n - 1n })
  t.strictSame((await call(app, 'GET', `${SIM}/volumes/${UUID}/view/image`)).body.data, { digest: 'v', time: 2 })
  t.strictSame((await call(app, 'GET', `${SIM}/volumes/${UUID}/recoverable`)).body.data, { ranges: [{ from: 1, to: 3, seq: 4 }] })
  t.strictSame(calls, [['image', [UUID, undefined]], ['image', [UUID, 2n ** 64n - 1n]], ['viewImage', [UUID]], ['recoverable', [UUID]]])
})

t.test('host, disk and VM states are set on the simulator and echoed', async (t) => {
  const { control, calls } = recordingControl()
  const app = await openControlApi(t, control)
  t.strictSame((await call(app, 'POST', `${SIM}/hosts/${UUID}/state`, { online: false })).body.data, { online: false })
  t.strictSame((await call(app, 'POST', `${SIM}/hosts/${UUID}/state`, { online: true })).body.data, { online: true })
  t.strictSame((await call(app, 'POST', `${SIM}/hosts/${UUID}/disks`, { path: '/dev/sdd', state: 'full' })).body.data, { path: '/dev/sdd', state: 'full' })
  t.strictSame((await call(app, 'POST', `${SIM}/vms/${UUID}/state`, { running: true })).body.data, { running: true })
  t.strictSame((await call(app, 'POST', `${SIM}/vms/${UUID}/state`, { running: false })).body.data, { running: false })
  t.strictSame(calls, [
    ['setHostOnline', [UUID, false]], ['setHostOnline', [UUID, true]],
    ['setDiskState', [UUID, '/dev/sdd', 'full']],
    ['setVmRunning', [UUID, true]], ['setVmRunning', [UUID, false]]
  ])
  t.equal((await call(app, 'POST', `${SIM}/hosts/${UUID}/disks`, { path: '', state: 'ok' })).status, 400, 'a disk needs a path')
  t.equal((await call(app, 'POST', `${SIM}/hosts/${UUID}/disks`, { path: '/dev/sdd', state: 'gone' })).status, 400, 'and a known state')
})

t.test('the mount serves the block routes too, with the NBD names when given', async (t) => {
  const facts = { uuid: UUID, name: 'v', size: 4096, tenant: UUID, cdp_state: 'none' }
  const nbd: NbdNames = { exportName: (uuid, kind) => `${kind}-${uuid}`, uri: (name) => `nbd://h/${name}` }
  const { control } = recordingControl({ volumes: () => [facts] })
  const withNbd = await openControlApi(t, control, nbd)
  t.strictSame((await call(withNbd, 'GET', `${SIM}/volumes/${UUID}`)).body.data, { ...facts, nbd_uri: `nbd://h/volume-${UUID}` })
  const without = await openControlApi(t, control)
  t.strictSame((await call(without, 'GET', `${SIM}/volumes/${UUID}`)).body.data, { ...facts, nbd_uri: null })
})

/** A description that says something of its own (not only the uint64 note the helpers add). */
function described (schema: { description?: unknown } | undefined): boolean {
  const text = schema?.description
  return typeof text === 'string' && text !== '' && !text.startsWith('（') && !text.startsWith('. ')
}

t.test('every /sim/v1 operation has a summary, and its parameters, body fields and answer fields their own descriptions', async (t) => {
  const doc = await servedDocs()
  const operations = Object.entries(doc.paths as Record<string, Record<string, any>>)
    .filter(([path]) => path.startsWith(SIM))
    .flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as const))
  t.equal(operations.length, 21, 'the 21 operations of /sim/v1')
  for (const [name, op] of operations) {
    t.ok(typeof op.summary === 'string' && op.summary !== '', `${name}: a summary`)
    for (const parameter of op.parameters ?? []) t.ok(described(parameter), `${name}: ${String(parameter.name)} described`)
    const json = op.requestBody?.content?.['application/json']?.schema
    for (const [field, schema] of Object.entries((json?.properties ?? {}) as Record<string, any>)) {
      if (name.endsWith('/faults') || name.endsWith('/snapshots') || field === 'writes') continue
      t.ok(described(schema), `${name}: body field ${field} described`)
    }
  }
  const op = (method: string, path: string): any => doc.paths[`${SIM}${path}`][method]
  const data = (method: string, path: string): any => op(method, path).responses['200'].content['application/json'].schema.properties.data
  const writes = op('post', '/volumes/{volume_uuid}/writes')
  t.ok(typeof writes.description === 'string' && writes.description !== '', 'the writes operation is described')
  t.ok(described(writes.requestBody.content['application/octet-stream'].schema), 'and its raw body')
  for (const field of ['count', 'time']) t.ok(described(data('post', '/volumes/{volume_uuid}/writes').properties[field]), `writes answer: ${field}`)
  for (const field of ['from', 'to', 'seq']) t.ok(described(data('get', '/volumes/{volume_uuid}/recoverable').properties.ranges.items.properties[field]), `recoverable: ${field}`)
  t.ok(described(data('post', '/hosts/{host_uuid}/disks').properties.state), 'disks answer: state')
})

t.test('the block routes describe their answers: every facts field, and the raw images as binary strings, whole (200) or a range (206)', async (t) => {
  const doc = await servedDocs()
  const get = (path: string): any => doc.paths[`${SIM}${path}`].get
  const data = (path: string): any => get(path).responses['200'].content['application/json'].schema.properties.data
  const facts = data('/volumes/{volume_uuid}')
  const view = data('/volumes/{volume_uuid}/view')
  t.strictSame(Object.keys(facts.properties), ['uuid', 'name', 'size', 'tenant', 'cdp_state', 'nbd_uri'])
  t.strictSame(Object.keys(view.properties), ['host_uuid', 'snapshot_name', 'time', 'nbd_uri'])
  for (const [field, schema] of [...Object.entries(facts.properties), ...Object.entries(view.properties)] as Array<[string, any]>) {
    t.ok(described(schema), `${field} described`)
  }
  t.strictSame(facts.properties.cdp_state.enum, ['on', 'off', 'none'])
  for (const nbdUri of [facts.properties.nbd_uri, view.properties.nbd_uri]) t.match(nbdUri, { type: 'string', nullable: true }, 'nbd_uri: a string or null')
  for (const path of ['/volumes/{volume_uuid}/image/raw', '/volumes/{volume_uuid}/view/raw']) {
    const { responses } = get(path)
    for (const status of ['200', '206']) {
      const schema = responses[status].content['application/json'].schema
      t.match(schema, { type: 'string', format: 'binary' }, `${path} ${status}: bytes`)
      t.ok(described(schema), `${path} ${status}: described`)
    }
    t.not(responses['200'].content['application/json'].schema.description, responses['206'].content['application/json'].schema.description, `${path}: 200 and 206 told apart`)
  }
})

t.test('every /sim/v1 route with a uuid in its path refuses one that is not a uuid, naming that parameter; nothing reaches the simulator', async (t) => {
  const { control, calls } = recordingControl()
  const app = await openControlApi(t, control)
  const routes: Array<[string, string, string, unknown?]> = [
    ['POST', '/volumes/nope/writes', 'volume_uuid', { writes: [{ offset: 0, length: 4096, fill: 1 }] }],
    ['GET', '/volumes/nope/image', 'volume_uuid'],
    ['GET', '/volumes/nope/view/image', 'volume_uuid'],
    ['GET', '/volumes/nope/recoverable', 'volume_uuid'],
    ['POST', '/hosts/nope/state', 'host_uuid', { online: true }],
    ['POST', '/hosts/nope/disks', 'host_uuid', { path: '/dev/sdd', state: 'ok' }],
    ['POST', '/vms/nope/state', 'vm_uuid', { running: true }]
  ]
  for (const [method, path, parameter, body] of routes) {
    const res = await call(app, method as 'GET' | 'POST', `${SIM}${path}`, body)
    t.match(res, { status: 400, body: { scode: Scode.INVALID_UUID.scode, desc: `${parameter} must be a uuid` } }, `${method} ${path}`)
  }
  t.strictSame(calls, [], 'nothing reached the simulator')
})

t.test('a bad advance, image time, host, disk or VM body is a 400 envelope that names the field; nothing reaches the simulator', async (t) => {
  const { control, calls } = recordingControl()
  const app = await openControlApi(t, control)
  const uint64 = (field: string): string => `${field} must be an unsigned 64-bit integer (JSON integer or decimal string)`
  const cases: Array<[string, string, unknown, number, string]> = [
    ['POST', '/clock/advance', { seconds: true }, Scode.INVALID_UINT64.scode, uint64('seconds')],
    ['POST', '/clock/advance', { nanoseconds: -1 }, Scode.INVALID_UINT64.scode, uint64('nanoseconds')],
    ['POST', '/clock/advance', { seconds: '18446744073709551616' }, Scode.INVALID_UINT64.scode, 'seconds exceeds 2^64-1'],
    ['POST', '/clock/advance', { nanoseconds: '18446744073709551616' }, Scode.INVALID_UINT64.scode, 'nanoseconds exceeds 2^64-1'],
    ['GET', `/volumes/${UUID}/image?at=abc`, undefined, Scode.INVALID_UINT64.scode, uint64('at')],
    ['GET', `/volumes/${UUID}/image?at=18446744073709551616`, undefined, Scode.INVALID_UINT64.scode, 'at exceeds 2^64-1'],
    ['POST', `/hosts/${UUID}/state`, { online: 'yes' }, Scode.INVALID_PARAMETER.scode, 'online must be boolean'],
    ['POST', `/hosts/${UUID}/disks`, { path: '/dev/sdd' }, Scode.MISSING_PARAMETER.scode, 'state is required'],
    ['POST', `/vms/${UUID}/state`, { running: 1 }, Scode.INVALID_PARAMETER.scode, 'running must be boolean']
  ]
  for (const [method, path, body, scode, desc] of cases) {
    const res = await call(app, method as 'GET' | 'POST', `${SIM}${path}`, body)
    t.match(res, { status: 400, body: { scode, desc } }, `${method} ${path} ${JSON.stringify(body) ?? ''}`)
  }
  t.strictSame(calls, [], 'nothing reached the simulator')
})

t.test('a bad write item is refused naming its field, a data write by its data, not by a fill write\'s missing length; nothing reaches the simulator', async (t) => {
  const { control, calls } = recordingControl({ write: (_uuid, writes: unknown[]) => ({ count: writes.length, time: 1n }) })
  const app = await openControlApi(t, control)
  const MiB = 1024 * 1024
  const fill = { offset: 0, length: 4096, fill: 1 }
  const cases: Array<[string, unknown, number, string]> = [
    ['no body field', {}, Scode.MISSING_PARAMETER.scode, 'writes is required'],
    ['no writes', { writes: [] }, Scode.INVALID_PARAMETER.scode, 'writes must NOT have fewer than 1 items'],
    ['1025 writes', { writes: Array.from({ length: 1025 }, () => fill) }, Scode.INVALID_PARAMETER.scode, 'writes must NOT have more than 1024 items'],
    ['a negative offset', { writes: [fill, { ...fill, offset: -4096 }] }, Scode.INVALID_PARAMETER.scode, 'writes[1].offset must be >= 0'],
    ['a length under a block', { writes: [{ ...fill, length: 4095 }] }, Scode.INVALID_PARAMETER.scode, 'writes[0].length must be >= 4096'],
    ['a fill past a byte', { writes: [{ ...fill, fill: 256 }] }, Scode.INVALID_PARAMETER.scode, 'writes[0].fill must be <= 255'],
    ['a negative fill', { writes: [{ ...fill, fill: -1 }] }, Scode.INVALID_PARAMETER.scode, 'writes[0].fill must be >= 0'],
    ['data that is not base64', { writes: [{ offset: 0, data: 'not base64!' }] }, Scode.INVALID_PARAMETER.scode, 'writes[0].data must match pattern "^[A-Za-z0-9+/]*={0,2}$"'],
    ['data of 4 MiB and a block', { writes: [{ offset: 0, data: Buffer.alloc(4 * MiB + 4096).toString('base64') }] }, Scode.INVALID_PARAMETER.scode, `writes[0].data must NOT have more than ${Math.ceil(4 * MiB / 3) * 4} characters`],
    ['neither fill nor data', { writes: [{ offset: 0 }] }, Scode.MISSING_PARAMETER.scode, 'writes[0].length is required']
  ]
  for (const [what, body, scode, desc] of cases) {
    t.match(await call(app, 'POST', `${SIM}/volumes/${UUID}/writes`, body), { status: 400, body: { scode, desc } }, what)
  }
  // The methods only: a failure that printed the calls would print megabytes of writes.
  t.strictSame(calls.map(([method]) => method), [], 'nothing reached the simulator')
  const data = Buffer.alloc(4 * MiB, 7)
  t.strictSame((await call(app, 'POST', `${SIM}/volumes/${UUID}/writes`, { writes: [{ offset: 0, data: data.toString('base64') }] })).body.data, { count: 1, time: 1 }, 'data of exactly 4 MiB is taken')
  t.strictSame(calls, [['write', [UUID, [{ offset: 0, data }]]]])
})

t.test('the write, clock and image routes document their fields: each item field of writes, the raw body\'s limit, the clock\'s and digest\'s answers', async (t) => {
  const doc = await servedDocs()
  const op = (method: string, path: string): any => doc.paths[`${SIM}${path}`][method]
  const data = (method: string, path: string): any => op(method, path).responses['200'].content['application/json'].schema.properties.data
  const writes = op('post', '/volumes/{volume_uuid}/writes')
  const body = writes.requestBody.content['application/json'].schema.properties.writes
  t.ok(described(body), 'writes described')
  const items = body.items.anyOf as Array<{ properties: Record<string, unknown> }>
  t.strictSame(items.map((item) => Object.keys(item.properties)), [['offset', 'length', 'fill'], ['offset', 'data']], 'a fill write and a data write')
  for (const item of items) for (const [field, schema] of Object.entries(item.properties)) t.ok(described(schema as { description?: unknown }), `write item field ${field} described`)
  t.equal(writes.description, 'JSON: writes, each a fill or base64 data. application/octet-stream: the bytes themselves, written at ?offset=; offset and length 4096-aligned, at most 67108864 bytes (64 MiB).')
  t.match(writes.requestBody.content['application/octet-stream'].schema.description, /最多67108864字节$/, 'the raw body states its limit')
  const clock = data('get', '/clock')
  for (const field of ['now', 'mode']) t.ok(described(clock.properties[field]), `clock answer: ${field} described`)
  t.strictSame(clock.properties.mode.enum, ['real', 'manual'])
  for (const path of ['/volumes/{volume_uuid}/image', '/volumes/{volume_uuid}/view/image']) {
    for (const field of ['digest', 'time']) t.ok(described(data('get', path).properties[field]), `${path} answer: ${field} described`)
  }
})
