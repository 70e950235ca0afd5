// TLS toward agents: a CA generated here with the machine's openssl signs an agent's
// certificate (for 127.0.0.1) and a client certificate the agent requires.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { createAgentBackend } from '../../../../src/backend/agent/backend.js'
import type { AgentTls } from '../../../../src/backend/agent/client.js'
import { ok, startAgent, wholeCluster } from '../../../helpers/fake-agent.js'
import { DEMO } from '../../../helpers/demo.js'
import { hasOpenssl } from '../../../helpers/openssl.js'

const VOLUME = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }
const INFO = { cdp_info: [], host_uuid: '' }

interface Pki { ca: Buffer, serverCert: Buffer, serverKey: Buffer, clientCert: Buffer, clientKey: Buffer }

/** A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, all P-256. */
function makePki (dir: string): Pki {
  const openssl = (...args: string[]): void => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }) }
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  openssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=volume-cdp test CA')
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n')
  for (const who of ['server', 'client']) {
    openssl('req', ...key, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who}`)
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '1',
      ...(who === 'server' ? ['-extfile', 'server.ext'] : []))
  }
  const read = (file: string): Buffer => readFileSync(join(dir, file))
  return { ca: read('ca.pem'), serverCert: read('server.pem'), serverKey: read('server.key'), clientCert: read('client.pem'), clientKey: read('client.key') }
}

t.test('TLS toward agents', { skip: hasOpenssl() ? false : 'openssl is not on this machine: TLS tests need it to make certificates' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-tls-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const pki = makePki(dir)
  const agent = await startAgent(t, () => ok(INFO), {
    tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true, rejectUnauthorized: true }
  })
  const info = async (tls?: AgentTls) => {
    const b = createAgentBackend({ routes: wholeCluster(agent.url), timeoutMs: 2000, retries: 0, concurrency: 1, ...(tls === undefined ? {} : { tls }) })
    t.teardown(() => b.close())
    return await b.info(VOLUME)
  }

  t.test('with the CA and a client certificate, calls succeed', async (t) => {
    t.strictSame(await info({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }), INFO)
  })

  t.test('without the CA, the agent\'s certificate is not trusted: AGENT_UNREACHABLE', async (t) => {
    await t.rejects(info({ cert: pki.clientCert, key: pki.clientKey }), { code: 'AGENT_UNREACHABLE' })
  })

  t.test('without a client certificate, an agent that requires one refuses: AGENT_UNREACHABLE', async (t) => {
    await t.rejects(info({ ca: pki.ca }), { code: 'AGENT_UNREACHABLE' })
  })
})
