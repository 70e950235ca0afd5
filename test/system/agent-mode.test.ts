// The server entry in agent mode, as a child process preloaded with a guard that makes any
// load of better-sqlite3 throw: it starts, serves a list from a loopback agent and closes
// cleanly, so the native SQLite module was never loaded. The same guard stops a start in
// simulator mode, which shows the guard works.
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { CDP, DEMO, type Teardown } from '../helpers/app.js'
import { spawnApiServer } from '../helpers/api-server.js'
import { ok, startAgent } from '../helpers/fake-agent.js'

const GUARD = './test/helpers/forbid-native-sqlite.ts'

function startServer (t: Teardown, env: Record<string, string>) {
  return spawnApiServer(t, env, [GUARD])
}

t.test('agent mode serves through the agent without ever loading better-sqlite3', async (t) => {
  const agent = await startAgent(t, () => ok({
    cluster: { uuid: DEMO.cluster, name: 'cluster_name_236', mode: '' },
    ranges: [{ namespace_uuid: DEMO.namespace, total_count: 0 }],
    items: []
  }))
  const dir = mkdtempSync(join(tmpdir(), 'cdp-agent-mode-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const routes = join(dir, 'agents.json')
  writeFileSync(routes, JSON.stringify({ routes: [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }] }))

  const { child, address: listening, stderr } = startServer(t, { CDP_BACKEND: 'agent', CDP_AGENTS: routes, CDP_AGENT_TOKEN: 'tok' })
  const address = await listening
  t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/, `listening (stderr: ${stderr()})`)
  const res = await request(`${address}${CDP}/list?cluster_uuid=${DEMO.cluster}`)
  const body = await res.body.json() as { scode: number, data: { each_range_list_state: Array<{ namespace_uuid: string }> } }
  t.equal(res.statusCode, 200)
  t.equal(body.data.each_range_list_state[0]?.namespace_uuid, DEMO.namespace, 'the answer came from the agent')
  t.equal(agent.seen[0]?.headers.authorization, 'Bearer tok')
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const [code] = await exited as [number | null]
  t.equal(code, 0, 'a graceful close exits 0')
  t.notMatch(stderr(), /better-sqlite3 must not be loaded/)
})

t.test('the guard is effective: simulator mode cannot start under it', async (t) => {
  const { child, stderr } = startServer(t, { CDP_BACKEND: 'simulator' })
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 1)
  t.match(stderr(), /better-sqlite3 must not be loaded/)
})

t.test('agent mode with an unusable routing file stops the start, naming CDP_AGENTS', async (t) => {
  const { child, stderr } = startServer(t, { CDP_BACKEND: 'agent', CDP_AGENTS: 'fixtures/no-such-agents.json' })
  const [code] = await once(child, 'exit') as [number | null]
  t.equal(code, 1)
  t.match(stderr(), /invalid configuration: CDP_AGENTS \(fixtures\/no-such-agents\.json\): cannot read it: ENOENT/)
})
