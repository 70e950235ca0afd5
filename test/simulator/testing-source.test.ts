// simulator/testing.ts from its source (testing.test.ts takes it by the package's name, that
// is from dist/): what startSimulator starts by default and with each option, every call of
// `control` doing what it names, `client`'s queries and bodies, a failure envelope as a
// RemoteError with every field, reset to another topology, and close.
import { existsSync, readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { startSimulator, RemoteError, type StartOptions, type StartedSimulator } from '../../simulator/testing.js'
import { CDP, DEMO, volume } from '../helpers/app.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { demoTopology } from '../helpers/demo.js'

const SECOND = 1_000_000_000n
/** The default manual clock's start: 2021-08-27T08:35:21Z. */
const START = 1630053321n * SECOND

async function start (t: Test, options?: StartOptions): Promise<StartedSimulator> {
  const sim = await startSimulator(options)
  t.teardown(sim.close)
  return sim
}

/** The rejection of `promise`, which must reject. */
async function refusal (promise: Promise<unknown>): Promise<RemoteError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof RemoteError) return err
    throw err
  }
  throw new Error('expected a RemoteError')
}

t.test('started with no options: the demo topology, a manual clock at 2021-08-27T08:35:21Z, on 127.0.0.1', async (t) => {
  const sim = await start(t)
  t.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.strictSame(await sim.control.clock(), { now: START, mode: 'manual' })
  for (const { uuid } of demoTopology.volumes) t.match(await sim.control.image(uuid), { time: START }, `demo volume ${uuid} is there`)
  t.equal((await sim.client.get('/list', { cluster_uuid: DEMO.cluster })).TotalCount, 0, 'no CDP yet')
})

t.test('each option is taken: the topology, the clock, the database file, the snapshot interval', async (t) => {
  const file = join(tempDir(t, 'cdp-testing-'), 'sim.db')
  const one = { ...demoTopology, volumes: demoTopology.volumes.filter((v) => v.uuid === DEMO.cdp1) }
  const begin = 1700000000n * SECOND + 123n
  const sim = await start(t, { topology: one, clock: { mode: 'manual', start: begin }, db: file, snapshotIntervalSeconds: 5 })
  t.strictSame(await sim.control.clock(), { now: begin, mode: 'manual' })
  t.ok(existsSync(file), 'the state is kept in the file named')
  t.equal(readFileSync(file).subarray(0, 15).toString('latin1'), 'SQLite format 3')
  t.equal((await refusal(sim.control.image(DEMO.vol1))).scode, 3002, 'a volume of the demo only is not there')
  await sim.client.post('/enable', { volumes: [volume(DEMO.cdp1)] })
  await sim.control.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  await sim.control.advance({ seconds: 5 })
  await sim.control.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 2 }])
  const info = await sim.client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 })
  t.equal(info.cdp_info[0].snaps.length, 2, 'an auto snapshot 5 s after the first')
})

t.test('a real clock, when asked for', async (t) => {
  const sim = await start(t, { clock: { mode: 'real' } })
  t.equal((await sim.control.clock()).mode, 'real')
})

t.test('control: advance by seconds or nanoseconds, write fills and data, the image now and then, the recoverable ranges', async (t) => {
  const { control, client } = await start(t)
  t.strictSame(await control.advance({ seconds: 2 }), { now: START + 2n * SECOND, mode: 'manual' })
  t.strictSame(await control.advance({ nanoseconds: 5n }), { now: START + 2n * SECOND + 5n, mode: 'manual' })
  t.strictSame(await control.clock(), { now: START + 2n * SECOND + 5n, mode: 'manual' })
  await client.post('/enable', { volumes: [volume(DEMO.cdp1)] })
  const blank = await control.image(DEMO.cdp1)
  const first = await control.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  t.strictSame(first, { count: 1, time: START + 2n * SECOND + 6n }, 'the ns after the enable')
  await control.advance({ seconds: 1 })
  const second = await control.write(DEMO.cdp1, [{ offset: 4096, data: Buffer.alloc(4096, 7).toString('base64') }, { offset: 8192, length: 4096, fill: 3 }])
  t.equal(second.count, 2)
  const now = await control.image(DEMO.cdp1)
  const then = await control.image(DEMO.cdp1, first.time)
  t.equal(then.time, first.time, 'the image at the time asked')
  t.not(then.digest, now.digest, 'not the image now')
  t.not(then.digest, blank.digest, 'nor the image before the first write')
  t.equal((await control.image(DEMO.cdp1, second.time)).digest, now.digest)
  const { ranges } = await control.recoverable(DEMO.cdp1)
  t.strictSame(ranges.map((r) => [r.from, r.to, Number(r.seq)]), [[START + 2n * SECOND + 5n, second.time, 0]], 'one segment, from the enable to the last write')
})

t.test('control: a host offline takes no new CDP; a stopped VM\'s volume can be reverted', async (t) => {
  const { control, client } = await start(t)
  await control.setHostOnline(DEMO.host1, false)
  await client.post('/enable', { volumes: [volume(DEMO.vol1)] })
  t.equal((await client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.vol1 })).cdp_info[0].usd_path, '/dev/sde', 'on host 2')
  await control.setHostOnline(DEMO.host1, true)
  await client.post('/enable', { volumes: [volume(DEMO.cdp1)] })
  t.equal((await client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 })).cdp_info[0].usd_path, '/dev/sdd', 'host 1 is back')

  await client.post('/enable', { volumes: [volume(DEMO.kenVolume)] })
  const point = { snapshot_name: `CDP-auto-${START / SECOND}`, timestamp: String(START) }
  t.equal((await refusal(client.post('/revert', { ...volume(DEMO.kenVolume), ...point }))).code, 'VOLUME_IN_USE', 'its VM runs')
  await control.setVmRunning(DEMO.kenVm, false)
  t.strictSame(await client.post('/revert', { ...volume(DEMO.kenVolume), ...point }), {}, 'its VM is stopped')
  await control.setVmRunning(DEMO.kenVm, true)
  t.equal((await refusal(client.post('/revert', { ...volume(DEMO.kenVolume), ...point }))).code, 'VOLUME_IN_USE', 'running again')
})

t.test('control: snapshots on demand, fault rules added, listed, removed one by one and all at once', async (t) => {
  const { control, client } = await start(t)
  await client.post('/enable', { volumes: [volume(DEMO.cdp1)] })
  await control.advance({ seconds: 3 })
  t.strictSame(await control.snapshots([DEMO.cdp1]), { snapshots: [{ volume_uuid: DEMO.cdp1, name: `CDP-auto-${START / SECOND + 3n}`, time: START + 3n * SECOND, taken: true }] })
  const a = await control.addFault({ operation: 'info', probability: 1, scode: 5002 })
  const b = await control.addFault({ operation: 'list', probability: 1, scode: 5002 })
  t.match(a, { operation: 'info', probability: 1, scode: 5002, fired: 0 })
  t.strictSame((await control.faults()).map((r) => r.id), [a.id, b.id])
  t.equal((await refusal(client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }))).scode, 5002, 'the rule fires')
  await control.removeFault(a.id)
  t.strictSame((await control.faults()).map((r) => r.id), [b.id], 'one removed')
  t.equal((await client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 })).cdp_info.length, 1, 'info answers again')
  await control.clearFaults()
  t.strictSame(await control.faults(), [], 'all removed')
})

t.test('control: the state saved as a SQLite file and loaded back', async (t) => {
  const { control, client } = await start(t)
  await client.post('/enable', { volumes: [volume(DEMO.cdp1)] })
  const saved = await control.saveState()
  t.equal(saved.subarray(0, 15).toString('latin1'), 'SQLite format 3')
  await client.post('/disable', { volumes: [volume(DEMO.cdp1)] })
  await control.advance({ seconds: 60 })
  await control.loadState(saved)
  t.strictSame(await control.clock(), { now: START, mode: 'manual' }, 'the clock as saved')
  t.equal((await client.get('/list', { cluster_uuid: DEMO.cluster })).List[0].cdp_state, 'on', 'CDP as saved')
  const bad = await refusal(control.loadState(Buffer.from('not a database')))
  t.equal(bad.code, 'INVALID_STATE_FILE')
})

t.test('client: a query goes as given (bigint too); a body missing is {}; a failure envelope is a RemoteError with all its fields', async (t) => {
  const { client } = await start(t)
  await client.post('/enable', { volumes: [volume(DEMO.cdp1), volume(DEMO.vol1)] })
  const page = await client.get('/list', { cluster_uuid: DEMO.cluster, page_num: 1n, page_size: 1 })
  t.strictSame(page.List.map((i: { volume_name: string }) => i.volume_name), ['vol-1'], 'the second page of one')
  const noBody = await refusal(client.post('/enable', undefined))
  t.strictSame([noBody.code, noBody.status], ['MISSING_PARAMETER', 400], 'an empty object, missing its volumes')
  const missing = await refusal(client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: '00000000-0000-4000-8000-000000000000' }))
  t.ok(missing instanceof Error)
  t.match(missing, { scode: 3002, status: 404, code: 'VOLUME_NOT_FOUND', messageCn: '卷不存在', requestId: '' })
  t.not(missing.desc, '')
  t.equal(missing.message, `scode 3002 volume not found: ${missing.desc}`)
  t.equal((await refusal(client.get('/nope'))).status, 404, 'an unknown path: its envelope')
})

t.test('reset: back to the first state, or to another topology; close stops the server', async (t) => {
  const sim = await startSimulator()
  const { control, client } = sim
  await client.post('/enable', { volumes: [volume(DEMO.cdp1)] })
  await control.advance({ seconds: 10 })
  await control.addFault({ operation: 'info', probability: 1, scode: 5002 })
  await sim.reset()
  t.strictSame(await control.clock(), { now: START, mode: 'manual' })
  t.equal((await client.get('/list', { cluster_uuid: DEMO.cluster })).TotalCount, 0)
  t.strictSame(await control.faults(), [])
  const one = { ...demoTopology, volumes: demoTopology.volumes.filter((v) => v.uuid === DEMO.vol1) }
  await sim.reset(one)
  t.equal((await refusal(control.image(DEMO.cdp1))).scode, 3002, 'only the new topology\'s volumes')
  t.match(await control.image(DEMO.vol1), { time: START })
  await sim.close()
  await t.rejects(fetch(`${sim.url}${CDP}/list?cluster_uuid=${DEMO.cluster}`), 'nothing listens any more')
})

t.test('control.saveState of a state the server cannot save rejects with the failure\'s RemoteError, not the envelope as file bytes', async (t) => {
  const { control } = await start(t)
  // The server stages the file in a directory it makes under the temporary directory: one that does not exist fails the save.
  const missing = join(tempDir(t, 'cdp-testing-tmp-'), 'gone')
  const before = process.env.TMPDIR
  process.env.TMPDIR = missing
  t.teardown(() => { if (before === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = before })
  const failed = await refusal(control.saveState())
  t.equal(failed.status, 500)
  t.not(failed.scode, 0)
  if (before === undefined) delete process.env.TMPDIR; else process.env.TMPDIR = before
  t.equal((await control.saveState()).subarray(0, 15).toString('latin1'), 'SQLite format 3', 'with the temporary directory back, the save works')
})

t.test('client.get with no query asks for the path as it is: /list without its cluster_uuid is a bad parameter, not an unknown route', async (t) => {
  const { client } = await start(t)
  const bare = await refusal(client.get('/list'))
  t.strictSame([bare.status, bare.code], [400, 'MISSING_PARAMETER'])
  const empty = await refusal(client.get('/list', {}))
  t.strictSame([empty.status, empty.code], [400, 'MISSING_PARAMETER'], 'an empty query too')
})

t.test('the simulator listens on 127.0.0.1 only: its port does not answer on the other loopback addresses, ::1 and 127.0.0.2', async (t) => {
  const sim = await start(t)
  const port = Number(new URL(sim.url).port)
  const reach = async (host: string): Promise<string> => await new Promise((resolve) => {
    const socket = connect({ host, port })
    socket.on('connect', () => { socket.destroy(); resolve('open') })
    socket.on('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
  })
  t.equal(await reach('127.0.0.1'), 'open', 'the loopback address answers')
  // A server listening on every address would answer these too; nothing is sent off the machine's loopback.
  for (const host of ['::1', '127.0.0.2']) t.not(await reach(host), 'open', `${host}: not listened on`)
})
