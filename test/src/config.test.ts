// Configuration from the environment and the files it names: defaults, and a stop naming the
// bad variable (and the file's path, for a file).
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { loadTokens } from '../../src/plugins/auth.js'
import { loadTopology } from '../../simulator/index.js'
import { DEMO, DEMO_TOPOLOGY } from '../helpers/demo.js'

t.test('defaults: loopback, 8080, the demo topology in memory on a real clock', async (t) => {
  t.strictSame(loadConfig({}), {
    HOST: '127.0.0.1',
    PORT: 8080,
    CDP_BACKEND: 'simulator',
    CDP_SIM_TOPOLOGY: DEMO_TOPOLOGY,
    CDP_SIM_DB: ':memory:',
    CDP_SIM_CLOCK: 'real',
    CDP_SIM_NBD_PORT: '10809',
    CDP_AGENT_TIMEOUT_MS: 5000,
    CDP_AGENT_RETRIES: 2,
    CDP_AGENT_CONCURRENCY: 16,
    CDP_AUTH: 'auto',
    CDP_BODY_LIMIT: 1048576,
    CDP_MAX_VOLUMES: 1000,
    CDP_WINDOW_WARNING_FRACTION: 0.85,
    CDP_REQUEST_TIMEOUT_MS: 30000,
    CDP_KEEP_ALIVE_TIMEOUT_MS: 72000,
    CDP_MAX_CONNECTIONS: 1000,
    LOG_LEVEL: 'info'
  })
})

t.test('agent mode: the routing file and the agent client settings', async (t) => {
  const config = loadConfig({
    CDP_BACKEND: 'agent',
    CDP_AGENTS: 'fixtures/agents.example.json',
    CDP_AGENT_TIMEOUT_MS: '250',
    CDP_AGENT_RETRIES: '0',
    CDP_AGENT_CONCURRENCY: '4',
    CDP_AGENT_TOKEN: 't0ken',
    CDP_AGENT_CA: 'ca.pem',
    CDP_AGENT_CERT: 'client.pem',
    CDP_AGENT_KEY: 'client.key'
  })
  t.match(config, {
    CDP_BACKEND: 'agent',
    CDP_AGENTS: 'fixtures/agents.example.json',
    CDP_AGENT_TIMEOUT_MS: 250,
    CDP_AGENT_RETRIES: 0,
    CDP_AGENT_CONCURRENCY: 4,
    CDP_AGENT_TOKEN: 't0ken',
    CDP_AGENT_CA: 'ca.pem',
    CDP_AGENT_CERT: 'client.pem',
    CDP_AGENT_KEY: 'client.key'
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
    [{ CDP_BACKEND: 'agents' }, 'CDP_BACKEND'],
    [{ CDP_BACKEND: 'agent' }, 'CDP_AGENTS'],
    [{ CDP_BACKEND: 'agent', CDP_AGENTS: 'a.json', CDP_AGENT_TIMEOUT_MS: '0' }, 'CDP_AGENT_TIMEOUT_MS'],
    [{ CDP_BACKEND: 'agent', CDP_AGENTS: 'a.json', CDP_AGENT_TIMEOUT_MS: '5s' }, 'CDP_AGENT_TIMEOUT_MS'],
    [{ CDP_BACKEND: 'agent', CDP_AGENTS: 'a.json', CDP_AGENT_RETRIES: '-1' }, 'CDP_AGENT_RETRIES'],
    [{ CDP_BACKEND: 'agent', CDP_AGENTS: 'a.json', CDP_AGENT_CONCURRENCY: '0' }, 'CDP_AGENT_CONCURRENCY'],
    [{ CDP_BACKEND: 'agent', CDP_AGENTS: 'a.json', CDP_AGENT_TOKEN: '' }, 'CDP_AGENT_TOKEN'],
    [{ CDP_BACKEND: 'agent', CDP_AGENTS: 'a.json', CDP_AGENT_CERT: 'c.pem' }, 'CDP_AGENT_KEY'],
    [{ CDP_SIM_CLOCK: 'fast' }, 'CDP_SIM_CLOCK'],
    [{ CDP_SIM_CLOCK: 'manual', CDP_SIM_CLOCK_START: '-5' }, 'CDP_SIM_CLOCK_START'],
    [{ CDP_SIM_CLOCK_START: '1' }, 'CDP_SIM_CLOCK_START'],
    [{ CDP_SIM_SNAPSHOT_INTERVAL: '0' }, 'CDP_SIM_SNAPSHOT_INTERVAL']
  ]
  for (const [env, name] of bad) t.throws(() => loadConfig(env), new RegExp(name), JSON.stringify(env))
})

t.test('with no tokens the API may listen on loopback only, unless authentication is turned off', async (t) => {
  for (const host of ['127.0.0.1', '127.3.2.1', 'localhost', '::1']) t.equal(loadConfig({ HOST: host }).HOST, host)
  t.throws(() => loadConfig({ HOST: '0.0.0.0' }), /HOST 0\.0\.0\.0 is not loopback and no CDP_AUTH_TOKENS_FILE is set/)
  t.equal(loadConfig({ HOST: '0.0.0.0', CDP_AUTH: 'off' }).CDP_AUTH, 'off')
  t.equal(loadConfig({ HOST: '0.0.0.0', CDP_AUTH_TOKENS_FILE: 'tokens.json' }).CDP_AUTH_TOKENS_FILE, 'tokens.json')
  t.throws(() => loadConfig({ CDP_AUTH: 'off', CDP_AUTH_TOKENS_FILE: 'tokens.json' }), /CDP_AUTH=off contradicts CDP_AUTH_TOKENS_FILE/)
  t.throws(() => loadConfig({ CDP_AUTH: 'maybe' }), /CDP_AUTH/)
})

t.test('limits are settings with bounds', async (t) => {
  t.match(loadConfig({ CDP_BODY_LIMIT: '2048', CDP_MAX_VOLUMES: '10', CDP_REQUEST_TIMEOUT_MS: '500' }),
    { CDP_BODY_LIMIT: 2048, CDP_MAX_VOLUMES: 10, CDP_REQUEST_TIMEOUT_MS: 500 })
  t.throws(() => loadConfig({ CDP_BODY_LIMIT: '10' }), /CDP_BODY_LIMIT/)
  t.throws(() => loadConfig({ CDP_MAX_VOLUMES: '0' }), /CDP_MAX_VOLUMES/)
  t.equal(loadConfig({ CDP_WINDOW_WARNING_FRACTION: '0.75' }).CDP_WINDOW_WARNING_FRACTION, 0.75)
  t.throws(() => loadConfig({ CDP_WINDOW_WARNING_FRACTION: '1.5' }), /CDP_WINDOW_WARNING_FRACTION/)
  t.throws(() => loadConfig({ CDP_WINDOW_WARNING_FRACTION: '0' }), /CDP_WINDOW_WARNING_FRACTION/)
})

t.test('CDP_CONFIG_FILE supplies settings the environment does not', async (t) => {
  const dir = t.testdir({ 'cdp.json': JSON.stringify({ PORT: 9999, LOG_LEVEL: 'warn' }), 'bad.json': '[1]', 'broken.json': '{' })
  t.match(loadConfig({ CDP_CONFIG_FILE: `${dir}/cdp.json` }), { PORT: 9999, LOG_LEVEL: 'warn' })
  t.match(loadConfig({ CDP_CONFIG_FILE: `${dir}/cdp.json`, PORT: '7000' }), { PORT: 7000, LOG_LEVEL: 'warn' })
  t.throws(() => loadConfig({ CDP_CONFIG_FILE: `${dir}/bad.json` }), /CDP_CONFIG_FILE .*must hold a JSON object/)
  t.throws(() => loadConfig({ CDP_CONFIG_FILE: `${dir}/broken.json` }), /CDP_CONFIG_FILE/)
  t.throws(() => loadConfig({ CDP_CONFIG_FILE: `${dir}/missing.json` }), /CDP_CONFIG_FILE/)
})

t.test('CDP_CONFIG_FILE: a name that is not a setting is refused, naming it', async (t) => {
  const dir = t.testdir({ 'cdp.json': JSON.stringify({ PORT: 9999, CDP_MAX_VOLUME: 5 }) })
  t.throws(() => loadConfig({ CDP_CONFIG_FILE: `${dir}/cdp.json` }), /^invalid configuration: CDP_CONFIG_FILE \(.*cdp\.json\): unknown setting CDP_MAX_VOLUME$/)
})

t.test('a choice that is none of the allowed values lists them', async (t) => {
  t.throws(() => loadConfig({ CDP_BACKEND: 'agents' }), { message: 'invalid configuration: CDP_BACKEND must be one of simulator, agent' })
  t.throws(() => loadConfig({ CDP_SIM_CLOCK: 'fast' }), { message: 'invalid configuration: CDP_SIM_CLOCK must be one of real, manual' })
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/)
})

t.test('CDP_SIM_CLOCK_START below 10^17 ns (seconds given) is refused with the ns it likely meant', async (t) => {
  t.throws(() => loadConfig({ CDP_SIM_CLOCK: 'manual', CDP_SIM_CLOCK_START: '1630053321' }), /CDP_SIM_CLOCK_START 1630053321 is before 1973 in ns.*1630053321000000000/)
  t.equal(loadConfig({ CDP_SIM_CLOCK: 'manual', CDP_SIM_CLOCK_START: '100000000000000000' }).CDP_SIM_CLOCK_START, '100000000000000000')
})

t.test('a file a setting names that cannot be used names the setting and the path', async (t) => {
  const dir = t.testdir({ 'tokens.json': JSON.stringify({ tokens: [{ token: 'short' }] }), 'broken.json': '{' })
  t.throws(() => loadConfig({ CDP_CONFIG_FILE: '/nope.json' }), /^invalid configuration: CDP_CONFIG_FILE \(\/nope\.json\): cannot read it: ENOENT/)
  t.throws(() => loadTopology('/nope.json'), /^invalid configuration: CDP_SIM_TOPOLOGY \(\/nope\.json\): cannot read it: ENOENT/)
  t.throws(() => loadTopology(`${dir}/broken.json`), /^invalid configuration: CDP_SIM_TOPOLOGY \(.*broken\.json\): not JSON/)
  t.throws(() => loadTokens('/nope.json'), /^invalid configuration: CDP_AUTH_TOKENS_FILE \(\/nope\.json\): cannot read it: ENOENT/)
  t.throws(() => loadTokens(`${dir}/tokens.json`), /^invalid configuration: CDP_AUTH_TOKENS_FILE \(.*tokens\.json\): \/tokens\/0\/token: /)
})

t.test('a metrics token bound to a tenant is refused', async (t) => {
  const dir = t.testdir({ 'tokens.json': JSON.stringify({ tokens: [{ token: 'metrics-token-0123456789', scope: 'metrics', tenant: DEMO.ken }] }) })
  t.throws(() => loadTokens(`${dir}/tokens.json`), /\/tokens\/0: a metrics token sees every tenant's volumes; leave out tenant/)
})

t.test('a tokens file is refused for each rule it breaks, and taken when it keeps them all', async (t) => {
  const good = { token: '0123456789abcdef', tenant: DEMO.ken, name: 'ken' }
  const files: Record<string, unknown> = {
    'good.json': { tokens: [good, { token: 'metrics-token-0123456789', scope: 'metrics' }] },
    'fifteen.json': { tokens: [{ ...good, token: '0123456789abcde' }] },
    'tenant.json': { tokens: [{ ...good, tenant: 'ken' }] },
    'scope.json': { tokens: [{ token: '0123456789abcdef', scope: 'admin' }] },
    'extra-key.json': { tokens: [{ ...good, role: 'admin' }] },
    'extra-top.json': { tokens: [good], admins: [] },
    'none.json': { tokens: [] }
  }
  const dir = t.testdir(Object.fromEntries(Object.entries(files).map(([name, body]) => [name, JSON.stringify(body)])))
  t.strictSame(loadTokens(`${dir}/good.json`).map((token) => token.token), ['0123456789abcdef', 'metrics-token-0123456789'], '16 characters is enough')
  const refused = (name: string, where: RegExp): void => {
    t.throws(() => loadTokens(`${dir}/${name}`), new RegExp(`^invalid configuration: CDP_AUTH_TOKENS_FILE \\(.*${name.replace('.', '\\.')}\\): ${where.source}`), name)
  }
  refused('fifteen.json', /\/tokens\/0\/token: /)
  refused('tenant.json', /\/tokens\/0\/tenant: /)
  refused('scope.json', /\/tokens\/0\/scope: /)
  refused('extra-key.json', /\/tokens\/0\/role: Unexpected property/)
  refused('extra-top.json', /\/admins: Unexpected property/)
  refused('none.json', /\/tokens: /)
})

t.test('CORS origins: a comma-separated list of scheme://host[:port], off when unset', async (t) => {
  t.equal(loadConfig({}).CDP_CORS_ORIGINS, undefined, 'off by default')
  const origins = 'http://127.0.0.1:3000,https://console.example.test'
  t.equal(loadConfig({ CDP_CORS_ORIGINS: origins }).CDP_CORS_ORIGINS, origins)
  for (const bad of ['*', 'console.example.test', 'http://a.test/path', 'http://a.test, http://b.test', 'http://a.test,', '']) {
    t.throws(() => loadConfig({ CDP_CORS_ORIGINS: bad }), /CDP_CORS_ORIGINS/, JSON.stringify(bad))
  }
})

t.test('CDP_SIM_NBD_PORT is a port, 0 for any free one, or off', async (t) => {
  t.equal(loadConfig({ CDP_SIM_NBD_PORT: '0' }).CDP_SIM_NBD_PORT, '0')
  t.equal(loadConfig({ CDP_SIM_NBD_PORT: 'off' }).CDP_SIM_NBD_PORT, 'off')
  for (const bad of ['65536', '-1', 'on', '08']) {
    t.throws(() => loadConfig({ CDP_SIM_NBD_PORT: bad }), /CDP_SIM_NBD_PORT/, bad)
  }
})
