// Configuration from the environment: defaults, and a stop naming the bad variable.
import t from 'tap'
import { loadConfig } from '../src/config.js'

t.test('defaults: loopback, 8080, the demo topology in memory on a real clock', async (t) => {
  t.strictSame(loadConfig({}), {
    HOST: '127.0.0.1',
    PORT: 8080,
    CDP_BACKEND: 'simulator',
    CDP_SIM_TOPOLOGY: 'fixtures/demo-topology.json',
    CDP_SIM_DB: ':memory:',
    CDP_SIM_CLOCK: 'real',
    LOG_LEVEL: 'info'
  })
})

t.test('values are read and typed', async (t) => {
  const config = loadConfig({ PORT: '0', CDP_SIM_CLOCK: 'manual', CDP_SIM_CLOCK_START: '1630053321000000000', CDP_SIM_SNAPSHOT_INTERVAL: '60', UNRELATED: 'x' })
  t.equal(config.PORT, 0)
  t.equal(config.CDP_SIM_CLOCK_START, '1630053321000000000')
  t.equal(config.CDP_SIM_SNAPSHOT_INTERVAL, 60)
  t.notOk('UNRELATED' in config, 'other variables are not kept')
})

t.test('an invalid value stops the start, naming the variable', async (t) => {
  const bad: Array<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ CDP_BACKEND: 'agent' }, 'CDP_BACKEND'],
    [{ CDP_SIM_CLOCK: 'fast' }, 'CDP_SIM_CLOCK'],
    [{ CDP_SIM_CLOCK: 'manual', CDP_SIM_CLOCK_START: '-5' }, 'CDP_SIM_CLOCK_START'],
    [{ CDP_SIM_CLOCK_START: '1' }, 'CDP_SIM_CLOCK_START'],
    [{ CDP_SIM_SNAPSHOT_INTERVAL: '0' }, 'CDP_SIM_SNAPSHOT_INTERVAL']
  ]
  for (const [env, name] of bad) t.throws(() => loadConfig(env), new RegExp(name), JSON.stringify(env))
})
