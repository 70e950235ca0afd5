// `cdp-sim serve --port 0` as other languages' suites use it: a real process that prints
// exactly one line, its base URL, serves the CDP API and the whole /sim/v1 there, and exits 0
// on SIGTERM or SIGINT.
import t from 'tap'
import { serveUntilStopped } from '../../../simulator/cli/serving.js'
import { buildSimulatorApp, loadTopology, openWorkerHarness } from '../../../simulator/index.js'
import { startServing } from '../../helpers/cdp-sim.js'
import { CDP, DEMO, DEMO_TOPOLOGY, volume } from '../../helpers/app.js'

const URL_LINE = /^(http:\/\/127\.0\.0\.1:\d+)$/

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`serve prints only its base URL, serves API and harness calls, and ${signal} ends it with 0`, async (t) => {
    const served = await startServing(t, ['serve', '--port', '0'], URL_LINE)
    const later: string[] = []
    served.onLine((line) => { later.push(line) })
    const enabled = await served.post(`${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
    t.equal(enabled.body.data.success, 1, 'the CDP API')
    t.equal((await served.post('/sim/v1/clock/advance', { seconds: 5 })).body.data.mode, 'manual', 'a manual clock by default')
    t.equal((await served.post('/sim/v1/faults', { operation: 'info', probability: 1, scode: 5002 })).status, 200, 'fault rules')
    const reset = await served.post('/sim/v1/reset', {})
    t.equal(reset.body.data.now, 1630053321000000000n, 'reset: the clock back at its start')
    t.equal((await served.get(`${CDP}/list?cluster_uuid=${DEMO.cluster}`)).body.data.TotalCount, 0, 'reset: no CDP left')
    t.equal(await served.stop(signal), 0)
    t.strictSame(later, [], 'nothing after the URL line')
  })
}

t.test('serve refuses a bad option with one line and exit 2', async (t) => {
  const { cdpSim } = await import('../../helpers/cdp-sim.js')
  const run = await cdpSim(t, ['serve', '--port', '70000'])
  t.equal(run.code, 2)
  t.match(run.stderr, /^cdp-sim serve: --port must be a whole number from 0 to 65535/)
  t.equal(run.stdout, '')
})

t.test('a serving command ends with 1, and the reason on stderr, when its simulator worker thread dies', async (t) => {
  const harness = await openWorkerHarness({ db: ':memory:', topology: loadTopology(DEMO_TOPOLOGY), clock: { mode: 'manual' } }, { testHooks: true })
  const errors: string[] = []
  let listening: (url: string) => void = () => {}
  const announced = new Promise<string>((resolve) => { listening = resolve })
  const stop = new AbortController()
  t.teardown(() => { stop.abort() })
  const serving = serveUntilStopped({ harness, topology: loadTopology(DEMO_TOPOLOGY), host: '127.0.0.1', port: 0, level: 'silent' },
    async () => await buildSimulatorApp(harness), { stop: stop.signal, err: (line) => { errors.push(line) } }, (url) => { listening(url) })
  t.match(await announced, /^http:\/\/127\.0\.0\.1:\d+$/)
  await harness.simulator.crashForTest?.().catch(() => {}) // the reply may die with the thread
  t.equal(await serving, 1, 'not 0: a supervisor sees it stop')
  t.match(errors, [/worker thread stopped/])
})
