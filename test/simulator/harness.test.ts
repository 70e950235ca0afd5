// The harness calls of /sim/v1 on the API built as `npm start` builds it over the simulator:
// reset really restores, save → change → load restores exactly, a junk file changes
// nothing, snapshots on demand (at most one a second), and fault rules on the API itself.
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import t, { type Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildSimulatorApp, loadTopology, openHarness, openWorkerHarness } from '../../simulator/index.js'
import { fromSettingFile } from '../../src/json-file.js'
import { CDP, DEMO, DEMO_TOPOLOGY, SECOND, call, servedDocs, volume } from '../helpers/app.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { Scode } from '../../src/errors.js'
import { parseExact, printExact } from '../../src/json.js'

const SIM = '/sim/v1'
const START = 1630053321n * SECOND
const topology = loadTopology(DEMO_TOPOLOGY)

async function openApi (t: Test, db = ':memory:'): Promise<FastifyInstance> {
  const app = await buildSimulatorApp(openHarness({ db, topology, clock: { mode: 'manual' } }))
  t.teardown(() => app.close())
  return app
}

/** Everything a client can observe, over HTTP: the clock, the list, each volume's image, each CDP volume's info. */
async function fingerprint (app: FastifyInstance): Promise<string> {
  const parts: unknown[] = [(await call(app, 'GET', `${SIM}/clock`)).body]
  const list = (await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_size=0`)).body
  parts.push(list)
  for (const { uuid } of topology.volumes) parts.push((await call(app, 'GET', `${SIM}/volumes/${uuid}/image`)).body)
  for (const item of list.data.List as Array<{ volume_uuid: string }>) {
    parts.push((await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${item.volume_uuid}`)).body)
  }
  return printExact(parts)
}

/** Some history: CDP on two volumes, writes a minute apart, a view, a host offline, a VM stopped. */
async function makeHistory (app: FastifyInstance): Promise<void> {
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1), volume(DEMO.kenVolume)] })
  await call(app, 'POST', `${SIM}/volumes/${DEMO.cdp1}/writes`, { writes: [{ offset: 0, length: 8192, fill: 1 }] })
  await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 60 })
  await call(app, 'POST', `${SIM}/volumes/${DEMO.kenVolume}/writes`, { writes: [{ offset: 4096, length: 4096, fill: 2 }] })
  await call(app, 'POST', `${CDP}/view`, { ...volume(DEMO.cdp1), op: 'on', snapshot_name: 'CDP-auto-1630053321', timestamp: START })
  await call(app, 'POST', `${SIM}/hosts/${DEMO.host2}/state`, { online: false })
  await call(app, 'POST', `${SIM}/vms/${DEMO.kenVm}/state`, { running: false })
}

t.test('reset restores the first state: the fingerprint equals a fresh one, the manual clock is back at its start', async (t) => {
  const app = await openApi(t)
  const fresh = await fingerprint(app)
  await makeHistory(app)
  await call(app, 'POST', `${SIM}/faults`, { operation: 'info', probability: 1, scode: 5002 })
  t.not(await fingerprint(app), fresh)
  const reset = await call(app, 'POST', `${SIM}/reset`)
  t.equal(reset.status, 200)
  t.strictSame(reset.body.data, { now: START })
  t.equal(await fingerprint(app), fresh, 'lists, infos, images and clock as fresh')
  t.strictSame((await call(app, 'GET', `${SIM}/faults`)).body.data.rules, [], 'fault rules are gone too')
  await makeHistory(app)
  t.equal((await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`)).body.data.host_uuid, DEMO.host1, 'the reset simulator works as before')
})

t.test('a simulator that read its topology file itself (npm start: in the worker) resets to what the file held when it opened', async (t) => {
  const file = join(tempDir(t, 'cdp-reset-file-'), 'topology.json')
  copyFileSync(DEMO_TOPOLOGY, file)
  const app = await buildSimulatorApp(await openWorkerHarness({ db: ':memory:', topology: { file, setting: 'CDP_SIM_TOPOLOGY' }, clock: { mode: 'manual' } }))
  t.teardown(() => app.close())
  const fresh = await fingerprint(app)
  await makeHistory(app)
  // Kept from the start, as a topology given as an object is: the file is read once.
  writeFileSync(file, '{')
  t.equal((await call(app, 'POST', `${SIM}/reset`)).status, 200)
  t.equal(await fingerprint(app), fresh, 'lists, infos, images and clock as fresh')
})

t.test('a topology file the simulator cannot read is named by its own setting, not by the database setting around it', async (t) => {
  const open = async (file: string) => await fromSettingFile('CDP_SIM_DB', ':memory:', async (db) =>
    await openWorkerHarness({ db, topology: { file, setting: 'CDP_SIM_TOPOLOGY' }, clock: { mode: 'manual' } }))
  await t.rejects(open('/nope.json'), /^invalid configuration: CDP_SIM_TOPOLOGY \(\/nope\.json\): cannot read it: ENOENT/)
  const bad = join(tempDir(t, 'cdp-bad-topology-'), 'topology.json')
  writeFileSync(bad, JSON.stringify({ ...topology, volumes: [{ ...topology.volumes[0], size: 100 }] }))
  await t.rejects(open(bad), { message: `invalid configuration: CDP_SIM_TOPOLOGY (${bad}): topology: /volumes/0/size must be a multiple of 4096` })
})

t.test('reset with a topology loads it; a bad topology is a 400 and changes nothing', async (t) => {
  const app = await openApi(t)
  await makeHistory(app)
  const before = await fingerprint(app)
  const bad = await call(app, 'POST', `${SIM}/reset`, { topology: { ...topology, volumes: [{ ...topology.volumes[0], size: 100 }] } })
  t.equal(bad.status, 400)
  t.equal(bad.body.scode, Scode.INVALID_PARAMETER.scode)
  t.match(bad.body.desc, /size must be a multiple of 4096/)
  t.equal(await fingerprint(app), before, 'state untouched')
  const one = { ...topology, volumes: topology.volumes.filter((v) => v.uuid === DEMO.vol1) }
  t.equal((await call(app, 'POST', `${SIM}/reset`, { topology: one })).status, 200)
  t.equal((await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.scode, Scode.VOLUME_NOT_FOUND.scode, 'only the new topology\'s volumes')
  await call(app, 'POST', `${SIM}/reset`)
  t.equal((await call(app, 'GET', `${SIM}/volumes/${DEMO.cdp1}/image`)).body.scode, Scode.VOLUME_NOT_FOUND.scode, 'a later reset keeps the loaded topology')
})

async function getState (app: FastifyInstance): Promise<Buffer> {
  const res = await app.inject({ method: 'GET', url: `${SIM}/state` })
  if (res.statusCode !== 200) throw new Error(`GET state: ${res.body}`)
  return res.rawPayload
}

async function putState (app: FastifyInstance, bytes: Buffer, type = 'application/vnd.sqlite3') {
  const res = await app.inject({ method: 'PUT', url: `${SIM}/state`, headers: { 'content-type': type }, payload: bytes })
  return { status: res.statusCode, body: parseExact(res.body) as { scode: number, desc: string } }
}

t.test('save → change → load restores exactly, also into another simulator on a file', async (t) => {
  const app = await openApi(t)
  await makeHistory(app)
  const saved = await fingerprint(app)
  const res = await app.inject({ method: 'GET', url: `${SIM}/state` })
  t.equal(res.headers['content-type'], 'application/vnd.sqlite3')
  t.equal(res.rawPayload.subarray(0, 16).toString('latin1'), 'SQLite format 3\u0000')
  const file = res.rawPayload
  await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 3600 })
  await call(app, 'POST', `${SIM}/volumes/${DEMO.cdp1}/writes`, { writes: [{ offset: 0, length: 4096, fill: 9 }] })
  await call(app, 'POST', `${CDP}/disable`, { volumes: [volume(DEMO.kenVolume)] })
  t.not(await fingerprint(app), saved)
  const loaded = await putState(app, file)
  t.equal(loaded.status, 200, loaded.body.desc)
  t.equal(await fingerprint(app), saved, 'exactly the saved state, clock included')

  const other = await openApi(t, join(tempDir(t, 'cdp-state-'), 'sim.db'))
  t.equal((await putState(other, file, 'application/octet-stream')).status, 200)
  t.equal(await fingerprint(other), saved, 'another simulator takes the same state')
})

t.test('a junk, damaged or foreign file is a 400 INVALID_STATE_FILE and the running state is untouched', async (t) => {
  const app = await openApi(t)
  await makeHistory(app)
  const before = await fingerprint(app)
  const good = await getState(app)
  const damaged = Buffer.from(good)
  // The second page, whatever the page size (header bytes 16–17, big-endian).
  const pageSize = damaged.readUInt16BE(16) === 1 ? 65536 : damaged.readUInt16BE(16)
  damaged.fill(0x5a, pageSize, 2 * pageSize)
  const dir = tempDir(t, 'cdp-foreign-')
  const Database = (await import('better-sqlite3')).default
  const foreign = new Database(join(dir, 'foreign.db'))
  foreign.exec('CREATE TABLE cluster (id INTEGER PRIMARY KEY)')
  foreign.close()
  const { readFileSync } = await import('node:fs')
  writeFileSync(join(dir, 'junk'), 'not a database at all')
  const cases: Array<[string, Buffer]> = [
    ['junk bytes', readFileSync(join(dir, 'junk'))],
    ['an empty body', Buffer.alloc(0)],
    ['a damaged page', damaged],
    ['another schema', readFileSync(join(dir, 'foreign.db'))]
  ]
  for (const [what, bytes] of cases) {
    const res = await putState(app, bytes)
    t.equal(res.status, 400, `${what}: 400`)
    t.equal(res.body.scode, Scode.INVALID_STATE_FILE.scode, `${what}: ${res.body.desc}`)
  }
  const asJson = await call(app, 'PUT', `${SIM}/state`, { state: 'x' })
  t.equal(asJson.body.scode, Scode.INVALID_STATE_FILE.scode, 'JSON is not a state file')
  t.equal(await fingerprint(app), before, 'nothing changed')
})

t.test('snapshots on demand: one now per volume, at most one a second; CDP off or missing refuses all', async (t) => {
  const app = await openApi(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  await call(app, 'POST', `${SIM}/clock/advance`, { nanoseconds: 2_500_000_000 })
  const now = START + 2_500_000_000n
  const taken = await call(app, 'POST', `${SIM}/snapshots`, { volumes: [DEMO.cdp1] })
  t.strictSame(taken.body.data.snapshots, [{ volume_uuid: DEMO.cdp1, name: 'CDP-auto-1630053323', time: now, taken: true }])
  await call(app, 'POST', `${SIM}/clock/advance`, { nanoseconds: 100 })
  const again = await call(app, 'POST', `${SIM}/snapshots`, { volumes: [DEMO.cdp1] })
  t.strictSame(again.body.data.snapshots, [{ volume_uuid: DEMO.cdp1, name: 'CDP-auto-1630053323', time: now, taken: false }], 'the same second: the one it has')
  const snaps = (await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`)).body.data.cdp_info[0].snaps
  t.strictSame(snaps, [{ name: 'CDP-auto-1630053321', time: START }, { name: 'CDP-auto-1630053323', time: now }], 'info lists it')
  const off = await call(app, 'POST', `${SIM}/snapshots`, { volumes: [DEMO.cdp1, DEMO.vol1] })
  t.equal(off.status, 404)
  t.equal(off.body.scode, Scode.CDP_NOT_FOUND.scode)
  await call(app, 'POST', `${CDP}/edit`, { cdp_priority: 'mid', reserve_capacity: 1073741824, reserve_duration: 86400, volumes: [volume(DEMO.vol1)] })
  const disabled = await call(app, 'POST', `${SIM}/snapshots`, { volumes: [DEMO.vol1] })
  t.equal(disabled.status, 409)
  t.equal(disabled.body.scode, Scode.CDP_IS_OFF.scode)
})

t.test('fault rules apply to the API on the simulator; drop resets the client connection', async (t) => {
  const app = await openApi(t)
  await call(app, 'POST', `${SIM}/faults`, { operation: 'enable', volume_uuid: DEMO.cdp1, probability: 1, count: 1, scode: Scode.BACKEND_UNAVAILABLE.scode })
  const failed = await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  t.equal(failed.status, 503)
  t.equal(failed.body.scode, Scode.BACKEND_UNAVAILABLE.scode)
  t.equal((await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })).body.data.success, 1, 'spent after one hit')
  await call(app, 'POST', `${SIM}/faults`, { operation: 'list', probability: 1, drop: true })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const { request } = await import('undici')
  await t.rejects(request(`http://127.0.0.1:${port}${CDP}/list?cluster_uuid=${DEMO.cluster}`), { code: 'ECONNRESET' })
})

t.test('the harness calls take global tokens only, as the control API does', async (t) => {
  const tokens = [{ token: 'global-token-0123456789' }, { token: 'tenant-token-0123456789', tenant: DEMO.ken }]
  const app = await buildSimulatorApp(openHarness({ db: ':memory:', topology, clock: { mode: 'manual' } }), { tokens })
  t.teardown(() => app.close())
  const as = async (token: string, url: string) => await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` } })
  for (const url of [`${SIM}/reset`, `${SIM}/faults`, `${SIM}/snapshots`]) {
    const res = await as('tenant-token-0123456789', url)
    t.equal(res.statusCode, 403, `${url}: a tenant token is refused`)
    t.equal((parseExact(res.body) as { scode: number }).scode, Scode.ENDPOINT_FORBIDDEN.scode)
  }
  t.equal((await as('global-token-0123456789', `${SIM}/reset`)).statusCode, 200, 'a global token resets')
})

t.test('a reset body is an object with an optional topology, or nothing: null and {} reset to the topology held; anything else is a 400 and changes nothing', async (t) => {
  const app = await openApi(t)
  const later = async () => await call(app, 'POST', `${SIM}/clock/advance`, { seconds: 5 })
  for (const body of ['null', '{}']) {
    await later()
    const res = await call(app, 'POST', `${SIM}/reset`, body)
    t.strictSame([res.status, res.body.data], [200, { now: START }], `body ${body}: reset`)
  }
  for (const body of ['[]', `[${printExact({ topology })}]`, '5', '"topology"', 'true']) {
    await later()
    const res = await call(app, 'POST', `${SIM}/reset`, body)
    t.strictSame([res.status, res.body.scode, res.body.desc], [400, Scode.INVALID_PARAMETER.scode, 'body must be an object: {"topology": {…}} or nothing'], `body ${body}: refused`)
  }
  t.strictSame((await call(app, 'GET', `${SIM}/clock`)).body.data.now, START + 25n * SECOND, 'no refused body reset the clock')
  const bad = await call(app, 'POST', `${SIM}/reset`, { topology: { ...topology, volumes: [{ ...topology.volumes[0], size: 100 }] } })
  t.equal(bad.body.desc, 'topology: /volumes/0/size must be a multiple of 4096', 'a bad topology is named "topology", as in the body')
  const notObject = await call(app, 'POST', `${SIM}/reset`, { topology: 7 })
  t.strictSame([notObject.status, notObject.body.desc], [400, 'topology: / Expected object'])
})

t.test('state files: one above 1 MiB is taken; a JSON body is refused naming the media types; no scratch directory is left behind', async (t) => {
  const app = await openApi(t)
  const scratch = tempDir(t, 'cdp-harness-tmp-')
  const before = process.env.TMPDIR
  process.env.TMPDIR = scratch
  t.teardown(() => { if (before === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = before })
  const good = await getState(app)
  t.ok(good.length > 0)
  const big = Buffer.concat([good, Buffer.alloc(2 * 1024 * 1024 - good.length % 4096 + 4096)])
  const loadedBig = await putState(app, big)
  t.equal(loadedBig.status, 200, `a 2 MiB file (the state padded with free space): ${loadedBig.body.desc}`)
  const junk = await putState(app, Buffer.alloc(2 * 1024 * 1024, 0x5a))
  t.strictSame([junk.status, junk.body.scode], [400, Scode.INVALID_STATE_FILE.scode], '2 MiB of junk is read and refused, not too large')
  const asJson = await call(app, 'PUT', `${SIM}/state`, { state: 'x' })
  t.strictSame([asJson.status, asJson.body.desc], [400, 'send the file as application/vnd.sqlite3 or application/octet-stream'])
  t.strictSame(readdirSync(scratch), [], 'every scratch directory was removed')
})

t.test('snapshots on demand take 1 to 1000 volume uuids', async (t) => {
  const app = await openApi(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  const refusals: Array<[string, string[], number]> = [
    ['none', [], Scode.INVALID_PARAMETER.scode],
    ['1001', Array<string>(1001).fill(DEMO.cdp1), Scode.TOO_MANY_VOLUMES.scode],
    ['a malformed uuid', ['cdp-1'], Scode.INVALID_UUID.scode]
  ]
  for (const [what, volumes, scode] of refusals) {
    const res = await call(app, 'POST', `${SIM}/snapshots`, { volumes })
    t.strictSame([res.status, res.body.scode], [400, scode], what)
  }
  const most = await call(app, 'POST', `${SIM}/snapshots`, { volumes: Array<string>(1000).fill(DEMO.cdp1) })
  t.equal(most.status, 200, '1000')
  t.equal(most.body.data.snapshots.length, 1000)
})

t.test('a state file passes through a directory of its own inside the system temporary directory (TMPDIR), named cdp-sim-state-…, gone after the call', async (t) => {
  const scratch = tempDir(t, 'cdp-harness-tmp-')
  const before = process.env.TMPDIR
  process.env.TMPDIR = scratch
  t.teardown(() => { if (before === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = before })
  const harness = openHarness({ db: ':memory:', topology, clock: { mode: 'manual' } })
  const app = await buildSimulatorApp(harness)
  t.teardown(() => app.close())
  const files: string[] = []
  const sim = harness.simulator
  const { saveState, loadState } = sim
  sim.saveState = async (file) => { files.push(file); return await saveState.call(sim, file) }
  sim.loadState = (file) => { files.push(file); loadState.call(sim, file) }
  const saved = await getState(app)
  t.equal((await putState(app, saved)).status, 200)
  t.equal(files.length, 2, 'one file saved, one loaded')
  for (const file of files) {
    t.equal(dirname(dirname(file)), scratch, `${file}: in the temporary directory`)
    t.match(basename(dirname(file)), /^cdp-sim-state-.{6}$/, `${file}: a directory of its own, named for what it holds`)
    t.equal(basename(file), 'state.db')
    t.notOk(existsSync(dirname(file)), `${file}: its directory is removed after the call`)
  }
  t.not(dirname(files[0]!), dirname(files[1]!), 'each call has its own directory')
})

/** A schema's description, present and its own (not only the suffix a helper adds). */
function described (schema: { description?: unknown } | undefined): boolean {
  const text = schema?.description
  return typeof text === 'string' && text !== '' && !text.startsWith('. ')
}

t.test('the harness routes document their answers: reset\'s and load\'s now, the state file as binary of its media type, the load\'s limit in MiB, each snapshot field and the volume uuids asked', async (t) => {
  const doc = await servedDocs()
  const op = (method: string, path: string): any => doc.paths[`${SIM}${path}`][method]
  const data = (method: string, path: string): any => op(method, path).responses['200'].content['application/json'].schema.properties.data
  t.ok(described(data('post', '/reset').properties.now), 'reset answers now, described')
  t.ok(described(data('put', '/state').properties.now), 'a load answers now, described')
  t.strictSame(op('get', '/state').responses['200'].content['application/json'].schema, { type: 'string', format: 'binary', description: 'application/vnd.sqlite3' })
  t.match(op('put', '/state').summary, /（256 MiB以内；/, 'the load states its limit: 256 MiB')
  const volumes = op('post', '/snapshots').requestBody.content['application/json'].schema.properties.volumes
  t.match(volumes, { type: 'array', minItems: 1, maxItems: 1000 })
  t.ok(described(volumes.items), 'the volume uuids asked are described')
  const item = data('post', '/snapshots').properties.snapshots.items
  t.strictSame(Object.keys(item.properties), ['volume_uuid', 'name', 'time', 'taken'])
  for (const field of ['name', 'time', 'taken']) t.ok(described(item.properties[field]), `a snapshot's ${field} described`)
})
