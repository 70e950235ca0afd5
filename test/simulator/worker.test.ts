// The simulator in its worker thread, through a real listening server: a call that holds the
// worker up never holds up /healthz; /readyz says busy while it does; the worker's refusals
// reach clients as the same envelopes as the in-process simulator's; a worker that dies turns
// every call into a clear 503, never a hang.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { STEP_ITEMS } from '../../src/routes/long-array.js'
import { buildSimulatorApp, loadTopology, openHarness, openWorkerHarness, type Topology, type WorkerSimulator } from '../../simulator/index.js'
import { spawnApiServer } from '../helpers/api-server.js'
import { CDP, DEMO, DEMO_TOPOLOGY, callHttp, volume } from '../helpers/app.js'

const WORKER_KILLER = fileURLToPath(new URL('../helpers/worker-killer.ts', import.meta.url))

const options = () => ({ db: ':memory:', topology: loadTopology(DEMO_TOPOLOGY), clock: { mode: 'manual' as const } })

async function serveWorker (t: Test, readyWithinMs = 300, topology = options().topology): Promise<{ base: string, simulator: WorkerSimulator }> {
  const harness = await openWorkerHarness({ ...options(), topology }, { testHooks: true, readyWithinMs })
  const app = await buildSimulatorApp(harness)
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, simulator: harness.simulator }
}

async function serveInProcess (t: Test, topology = options().topology): Promise<string> {
  const app = await buildSimulatorApp(openHarness({ ...options(), topology }))
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
}

const infoPath = (uuid: string) => `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${uuid}`

t.test('while the worker is held up, /healthz answers and a call to the simulator waits its turn', async (t) => {
  const { base, simulator } = await serveWorker(t)
  const order: string[] = []
  const stall = simulator.stallForTest!(1500).then(() => { order.push('stall over') })
  const info = callHttp(base, 'GET', infoPath(DEMO.vol1)).then((answer) => { order.push('info'); return answer })
  const health = await callHttp(base, 'GET', '/healthz')
  order.push('healthz')
  t.same(health, { status: 200, body: { scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data: { status: 'up' } } })
  await stall
  t.equal((await info).status, 404, 'info answered once the worker was free (vol1 has no CDP)')
  t.same(order, ['healthz', 'stall over', 'info'], 'healthz first; info after the stall, in arrival order')
})

t.test('/readyz answers 503 SIMULATOR_BUSY while the worker is stuck, and 200 once it is free', async (t) => {
  const { base, simulator } = await serveWorker(t)
  const stall = simulator.stallForTest!(1500)
  const busy = await callHttp(base, 'GET', '/readyz')
  t.equal(busy.status, 503)
  t.match(busy.body, { scode: 5050, desc: 'no answer from the simulator within 300 ms', message: 'the simulator did not answer in time: busy with a long call, or stuck', data: null })
  await stall
  t.equal((await callHttp(base, 'GET', '/readyz')).status, 200)
})

t.test("the worker's refusals are the in-process simulator's envelopes, byte for byte in meaning", async (t) => {
  const { base } = await serveWorker(t)
  const local = await serveInProcess(t)
  const missing = '00000000-0000-4000-8000-000000000099'
  const calls: Array<[method: 'GET' | 'POST', path: string, body?: unknown]> = [
    ['GET', infoPath(missing)],
    ['GET', infoPath(DEMO.vol1)],
    // A batch carries a CdpError per failed volume inside its answer.
    ['POST', `${CDP}/enable`, { volumes: [volume(DEMO.vol1), volume(missing), { ...volume(DEMO.cdp1), cluster_uuid: missing }] }],
    ['POST', '/sim/v1/clock/advance', { seconds: 1 }],
    ['GET', `/sim/v1/volumes/${missing}/image`],
    ['POST', `/sim/v1/volumes/${DEMO.vol1}/writes`, { writes: [{ offset: 1, length: 4096, fill: 1 }] }]
  ]
  for (const [method, path, body] of calls) {
    t.same(await callHttp(base, method, path, body), await callHttp(local, method, path, body), `${method} ${path}`)
  }
  const batch = await callHttp(base, 'POST', `${CDP}/enable`, { volumes: [volume(missing)] })
  t.match(batch.body.data.results[0], { scode: 3002, message: 'volume not found' }, 'a batch failure keeps its scode')
})

t.test('a list longer than a step: printed in the worker, the same bytes and headers as printed in steps in process', async (t) => {
  // Names that need escaping or are not ASCII, so the printing is tested, not just the splice.
  const demo = options().topology
  const [cluster, namespace] = [demo.clusters[0]!.uuid, demo.clusters[0]!.namespaces[0]!.uuid]
  const spells = ['卷', '"quoted"', 'back\\slash', 'tab\t', '😀']
  const topology: Topology = {
    ...demo,
    volumes: Array.from({ length: 2 * STEP_ITEMS + 7 }, (_, i) => ({
      uuid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `v${i}-${spells[i % spells.length] ?? ''}`, size: 1 << 24, cluster, namespace, tenant: demo.tenants[0]!.uuid
    }))
  }
  const bases = [(await serveWorker(t, 300, topology)).base, await serveInProcess(t, topology)]
  const volumes = topology.volumes.map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid }))
  const answers = []
  for (const base of bases) {
    t.equal((await callHttp(base, 'POST', `${CDP}/enable`, { volumes })).body.data.success, volumes.length)
    const res = await request(`${base}${CDP}/list?cluster_uuid=${cluster}`)
    answers.push({ status: res.statusCode, type: res.headers['content-type'], length: res.headers['content-length'], bytes: Buffer.from(await res.body.arrayBuffer()) })
  }
  const [worker, local] = answers as [typeof answers[0], typeof answers[0]]
  t.match(JSON.parse(worker.bytes.toString()), { scode: 0, data: { TotalCount: volumes.length } })
  t.equal(JSON.parse(worker.bytes.toString()).data.List.length, volumes.length)
  t.same({ ...worker, bytes: undefined }, { ...local, bytes: undefined }, 'status, content-type and content-length')
  t.ok(worker.bytes.equals(local.bytes), 'byte for byte')
})

t.test('bytes read through the worker are the in-process reads, each its own (handed over, never shared)', async (t) => {
  const worker = await openWorkerHarness(options())
  t.teardown(() => worker.simulator.close())
  const local = openHarness(options())
  t.teardown(() => local.simulator.close())
  const data = Buffer.alloc(3 * 4096)
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 12)) & 0xff
  // Blocks 0-2 written, 3 a hole, 4 a fill: ranges all stored, with holes, and all holes.
  const writes = [{ offset: 0, data }, { offset: 4 * 4096, length: 4096, fill: 9 }]
  await worker.simulator.write(DEMO.vol1, writes)
  local.simulator.write(DEMO.vol1, writes)
  const ranges: Array<[offset: number, length: number]> = [[0, 3 * 4096], [4096, 4 * 4096], [5 * 4096, 2 * 4096], [0, 4096]]
  const first = []
  for (const [offset, length] of ranges) {
    const bytes = await worker.simulator.readImage(DEMO.vol1, offset, length)
    t.ok(Buffer.isBuffer(bytes), `${offset}+${length} is a Buffer`)
    t.same(bytes, local.simulator.readImage(DEMO.vol1, offset, length), `${offset}+${length}`)
    first.push(bytes)
  }
  const again = await Promise.all(ranges.map(async ([offset, length]) => await worker.simulator.readImage(DEMO.vol1, offset, length)))
  t.same(again, first, 'read again, the same bytes; the first answers are intact')
})

t.test('a worker that dies turns calls into 503 SIMULATOR_STOPPED and reports why', async (t) => {
  const { base, simulator } = await serveWorker(t)
  // Sent as the worker dies: it is refused in flight or at once, by the same 503.
  const racing = callHttp(base, 'GET', infoPath(DEMO.vol1))
  // The thread may die before its reply to the hook gets out: either way, the call ends.
  await simulator.crashForTest!().catch(() => {})
  const reason = await simulator.stopped
  t.match(reason.message, /told to crash/)
  for (const answer of [await racing, await callHttp(base, 'GET', infoPath(DEMO.vol1)), await callHttp(base, 'GET', '/readyz')]) {
    t.equal(answer.status, 503)
    t.match(answer.body, { scode: 5051, message: 'the simulator has stopped: the service is restarting' })
  }
  t.equal((await callHttp(base, 'GET', '/healthz')).status, 200, 'the process itself still answers until its supervisor restarts it')
})

t.test('npm start exits 1 when its simulator worker dies, for a supervisor to restart it', async (t) => {
  const server = spawnApiServer(t, { CDP_SIM_CLOCK: 'manual' }, [WORKER_KILLER])
  const base = await server.address
  t.not(base, '', server.stderr())
  const exited = once(server.child, 'exit') as Promise<[number | null]>
  t.equal((await callHttp(base, 'GET', '/readyz')).status, 200)
  server.child.kill('SIGUSR2')
  const [code] = await exited
  t.equal(code, 1, 'a supervisor sees a failure and restarts it')
})
