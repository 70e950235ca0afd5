// `cdp-sim serve --port 0` as other languages' suites use it: a real process that prints
// exactly one line, its base URL, serves the CDP API and the whole /sim/v1 there, and exits 0
// on SIGTERM or SIGINT.
import t from 'tap'
import { startServing } from '../helpers/cdp-sim.js'
import { CDP, DEMO, volume } from '../helpers/app.js'

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
  const { cdpSim } = await import('../helpers/cdp-sim.js')
  const run = await cdpSim(t, ['serve', '--port', '70000'])
  t.equal(run.code, 2)
  t.match(run.stderr, /^cdp-sim serve: --port must be a whole number from 0 to 65535/)
  t.equal(run.stdout, '')
})
