// Issue 14's common case: a small info never waits behind a heavy call. With the simulator
// in its worker thread, through a real listening server, an info whose answer is cached
// is answered while the worker is held up; once anything changed (a write through the
// worker, or another connection's commit to the file) it is not, and waits its turn.
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { buildSimulatorApp, openSimulator, openWorkerHarness, type WorkerSimulator } from '../../simulator/index.js'
import { CDP, callHttp } from '../helpers/app.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { DEMO, demoTopology } from '../helpers/demo.js'
import { ref } from '../helpers/simulator.js'

/** Long enough for a cached answer to come back first on a loaded machine; a waiting info comes after the stall whatever its length. */
const CACHED_STALL_MS = 2000
const infoPath = `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`

async function serveWorker (t: Test, db: string): Promise<{ base: string, simulator: WorkerSimulator }> {
  const harness = await openWorkerHarness({ db, topology: demoTopology, clock: { mode: 'manual' } }, { testHooks: true })
  const app = await buildSimulatorApp(harness)
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  await harness.simulator.enable([ref(DEMO.cdp1)])
  return { base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, simulator: harness.simulator }
}

/** Info while the worker sleeps for `ms`: which ended first, and the answer. */
async function infoDuringStall (base: string, simulator: WorkerSimulator, ms: number): Promise<{ order: string[], body: any }> {
  const order: string[] = []
  const stall = simulator.stallForTest!(ms).then(() => { order.push('stall over') })
  const answer = await callHttp(base, 'GET', infoPath)
  order.push('info')
  await stall
  return { order, body: answer.body }
}

const useOf = (body: any): bigint => BigInt(body.data.cdp_info.at(-1).use)

t.test('a cached info is answered while the worker is held up; a write by another connection to the file makes the next one wait and see it', async (t) => {
  const db = join(tempDir(t, 'cdp-worker-info-'), 'state.db')
  const { base, simulator } = await serveWorker(t, db)
  const first = (await callHttp(base, 'GET', infoPath)).body
  const cached = await infoDuringStall(base, simulator, CACHED_STALL_MS)
  t.same(cached.order, ['info', 'stall over'], 'answered during the stall')
  t.same(cached.body, first)

  const other = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' } })
  t.teardown(() => other.close())
  other.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 7 }])
  const after = await infoDuringStall(base, simulator, 300)
  t.same(after.order, ['stall over', 'info'], "the other connection's commit dropped the cached answer: info waited for the worker")
  t.equal(useOf(after.body), useOf(first) + 4096n, 'and shows the write')
})

t.test('on an in-memory database a write through the worker drops the cached answer before it is acknowledged', async (t) => {
  const { base, simulator } = await serveWorker(t, ':memory:')
  const first = (await callHttp(base, 'GET', infoPath)).body
  t.same((await infoDuringStall(base, simulator, CACHED_STALL_MS)).order, ['info', 'stall over'], 'cached')
  t.equal((await callHttp(base, 'POST', `/sim/v1/volumes/${DEMO.cdp1}/writes`, { writes: [{ offset: 0, length: 4096, fill: 7 }] })).status, 200)
  const after = await infoDuringStall(base, simulator, 300)
  t.same(after.order, ['stall over', 'info'], 'not cached: it waited')
  t.equal(useOf(after.body), useOf(first) + 4096n)
})
