// The agent backend as the server's configuration opens it: every CDP_AGENT_* setting
// reaches the calls (the routing file, deadline, retries, token, TLS files),
// the attempt observer and the log are wired, and a TLS file that cannot be read is a
// refusal naming its variable and path. Against fake agents on 127.0.0.1.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openAgentBackend } from '../../../../src/backend/agent/open.js'
import { Scode } from '../../../../src/errors.js'
import { DEMO } from '../../../helpers/demo.js'
import type { Teardown } from '../../../helpers/app.js'
import { fail, failure, ok, startAgent } from '../../../helpers/fake-agent.js'
import { hasOpenssl } from '../../../helpers/openssl.js'

const VOLUME = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }
const INFO = { cdp_info: [], host_uuid: '' }

const dir = mkdtempSync(join(tmpdir(), 'cdp-open-'))
t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

let files = 0
/** A routing file: the demo cluster on one agent. */
function routesFile (url: string): string {
  const file = join(dir, `agents-${files++}.json`)
  writeFileSync(file, JSON.stringify({ routes: [{ cluster_uuid: DEMO.cluster, urls: [url] }] }))
  return file
}

const settings = (file: string) => ({ CDP_AGENTS: file, CDP_AGENT_TIMEOUT_MS: 2000, CDP_AGENT_RETRIES: 0, CDP_AGENT_CONCURRENCY: 4 })

function opened (t: Teardown, ...args: Parameters<typeof openAgentBackend>) {
  const backend = openAgentBackend(...args)
  t.teardown(() => backend.close())
  return backend
}

t.test('without CDP_AGENTS there is nothing to open', async (t) => {
  t.throws(() => openAgentBackend({ CDP_AGENT_TIMEOUT_MS: 2000, CDP_AGENT_RETRIES: 0, CDP_AGENT_CONCURRENCY: 4 }),
    { message: 'invalid configuration: CDP_AGENTS is required with CDP_BACKEND=agent' })
})

t.test('the routing file, retries and deadline are the settings\'; no token means no Authorization', async (t) => {
  const agent = await startAgent(t, () => ({ status: 503, body: 'busy' }))
  const backend = opened(t, { ...settings(routesFile(agent.url)), CDP_AGENT_RETRIES: 3 })
  t.equal((await failure(backend.info(VOLUME))).code, 'AGENT_BAD_RESPONSE')
  t.equal(agent.count('/info'), 4, 'one attempt and CDP_AGENT_RETRIES=3 more')
  t.equal(agent.seen[0]?.headers.authorization, undefined)
  const silent = await startAgent(t, () => 'hang')
  const quick = opened(t, { ...settings(routesFile(silent.url)), CDP_AGENT_TIMEOUT_MS: 50 })
  t.equal((await failure(quick.info(VOLUME))).code, 'AGENT_TIMEOUT', 'CDP_AGENT_TIMEOUT_MS=50 against an agent that never answers')
})

t.test('CDP_AGENT_TOKEN is sent as the bearer token', async (t) => {
  const agent = await startAgent(t, () => ok(INFO))
  await opened(t, { ...settings(routesFile(agent.url)), CDP_AGENT_TOKEN: 'agent-s3cret' }).info(VOLUME)
  t.equal(agent.seen[0]?.headers.authorization, 'Bearer agent-s3cret')
})

t.test('the attempt observer and the log given are the backend\'s', async (t) => {
  const agent = await startAgent(t, () => fail('INTERNAL', 'SQLITE_BUSY at /var/lib/agent.db'))
  const attempts: Array<[string, string, number]> = []
  const logged: unknown[] = []
  const backend = opened(t, settings(routesFile(agent.url)),
    (operation, url, _seconds, scode) => { attempts.push([operation, url, scode]) },
    { error: (details) => { logged.push(details) } })
  t.equal((await failure(backend.info(VOLUME))).code, 'INTERNAL')
  t.strictSame(attempts, [['info', agent.url, Scode.INTERNAL.scode]])
  t.strictSame(logged, [{ agent: agent.url, operation: 'info', desc: 'SQLITE_BUSY at /var/lib/agent.db' }])
})

t.test('a TLS file that cannot be read names its variable and path', async (t) => {
  const file = routesFile('https://127.0.0.1:1')
  const missing = join(dir, 'nowhere.pem')
  for (const setting of ['CDP_AGENT_CA', 'CDP_AGENT_CERT', 'CDP_AGENT_KEY'] as const) {
    t.throws(() => openAgentBackend({ ...settings(file), [setting]: missing }),
      { message: new RegExp(`^invalid configuration: ${setting} \\(${missing}\\): .*ENOENT`) }, setting)
  }
})

t.test('the TLS files are the client\'s: the CA it trusts, the certificate and key it shows', { skip: hasOpenssl() ? false : 'openssl is not on this machine' }, async (t) => {
  // One self-signed certificate for 127.0.0.1 plays every part: the agent's, its CA, and the client's.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'self.key',
    '-out', 'self.pem', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'ignore' })
  const pem = join(dir, 'self.pem')
  const key = join(dir, 'self.key')
  const agent = await startAgent(t, () => ok(INFO), {
    tls: { cert: readFileSync(pem), key: readFileSync(key), ca: readFileSync(pem), requestCert: true, rejectUnauthorized: true }
  })
  const file = routesFile(agent.url)
  const all = { CDP_AGENT_CA: pem, CDP_AGENT_CERT: pem, CDP_AGENT_KEY: key }
  t.strictSame(await opened(t, { ...settings(file), ...all }).info(VOLUME), INFO, 'all three: the call succeeds')
  const { CDP_AGENT_CA: _ca, ...withoutCa } = all
  t.equal((await failure(opened(t, { ...settings(file), ...withoutCa }).info(VOLUME))).code, 'AGENT_UNREACHABLE', 'without the CA the agent is not trusted')
  const { CDP_AGENT_CERT: _cert, CDP_AGENT_KEY: _key, ...onlyCa } = all
  t.equal((await failure(opened(t, { ...settings(file), ...onlyCa }).info(VOLUME))).code, 'AGENT_UNREACHABLE', 'without the certificate the agent refuses')
})
