// What a misbehaving agent can cost the API server process (src/server.ts in agent mode, a
// real child process on 127.0.0.1): 100 MB info answers grow its RSS by less than 100 MiB
// while other clients are served, and an agent's INTERNAL detail reaches its log, never
// its clients.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { AgentRoute } from '../../src/backend/agent/routing.js'
import { Scode } from '../../src/errors.js'
import { CDP, DEMO, callHttp, type Teardown } from '../helpers/app.js'
import { spawnApiServer, type ApiServer } from '../helpers/api-server.js'
import { fail, ok, startAgent, type Reply } from '../helpers/fake-agent.js'

const MiB = 1024 * 1024
const INFO_PATH = `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`

async function startApi (t: Teardown, routes: AgentRoute[]): Promise<{ server: ApiServer, url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-peer-cost-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  writeFileSync(join(dir, 'agents.json'), JSON.stringify({ routes }))
  const server = spawnApiServer(t, { CDP_BACKEND: 'agent', CDP_AGENTS: join(dir, 'agents.json'), CDP_AGENT_RETRIES: '0' })
  const url = await server.address
  if (url === '') throw new Error(`the API did not start: ${server.stderr()}`)
  return { server, url }
}

/** The process's resident set now, in bytes (Linux). */
function rss (pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  if (kib === undefined) throw new Error(`no VmRSS for ${pid}`)
  return Number(kib) * 1024
}

/** A success envelope whose data goes on for 100 MB, written as fast as the API takes it. */
function hundredMegabytes (): Reply {
  return {
    status: 200,
    stream: async function * () {
      const chunk = Buffer.from(`${'{"name":"CDP-auto-1630060807","time":1630060807123456789},'.repeat(1100)}`)
      yield '{"scode":0,"desc":"","message":"success","message_cn":"成功","stack":null,"data":{"host_uuid":"","cdp_info":[{"snaps":['
      for (let sent = 0; sent < 100 * MiB; sent += chunk.length) yield chunk
      yield '{"name":"CDP-auto-1630060807","time":1}]}]}}'
    }
  }
}

t.test('100 MB info answers grow the API\'s RSS by less than 100 MiB, and /healthz is answered meanwhile', async (t) => {
  const agent = await startAgent(t, ({ op }) => op === '/info' ? hundredMegabytes() : ok({ protocol: 1 }))
  const { server, url } = await startApi(t, [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }])
  const pid = server.child.pid as number
  for (let i = 0; i < 20; i++) await callHttp(url, 'GET', '/healthz')
  const before = rss(pid)
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, rss(pid)) }, 5)

  // Rounds of 4 concurrent infos (400 MB offered each round), with /healthz asked throughout.
  const infos = { done: false }
  let healthzDuring = 0
  const healthz = (async () => {
    const statuses: number[] = []
    while (!infos.done) {
      statuses.push((await callHttp(url, 'GET', '/healthz')).status)
      if (!infos.done) healthzDuring++
    }
    return statuses
  })()
  const answers = []
  for (let round = 0; round < 3; round++) {
    answers.push(...await Promise.all(Array.from({ length: 4 }, async () => await callHttp(url, 'GET', INFO_PATH))))
  }
  infos.done = true
  const healthStatuses = await healthz
  clearInterval(sampler)
  peak = Math.max(peak, rss(pid))

  t.ok(answers.every(({ status, body }) => status === 502 && body.scode === Scode.AGENT_BAD_RESPONSE.scode), 'every info is a 502 AGENT_BAD_RESPONSE envelope')
  t.equal(agent.count('/info'), 12)
  t.ok(healthStatuses.every((status) => status === 200), 'every /healthz answered 200')
  t.ok(healthzDuring > 0, `/healthz answered ${healthzDuring} times while the infos streamed`)
  const grown = (peak - before) / MiB
  t.ok(grown < 100, `RSS ${(before / MiB).toFixed(0)} MiB before, peak ${(peak / MiB).toFixed(0)} MiB: grew ${grown.toFixed(1)} MiB (< 100) over 12 answers of 100 MB`)
})

t.test('an agent\'s INTERNAL detail is in the API\'s log and not in its answer', async (t) => {
  const leak = 'SQLITE_IOERR at /var/lib/cdp/agent.db: UPDATE cdp SET state = 1 WHERE volume_id = 7'
  const agent = await startAgent(t, () => fail('INTERNAL', leak))
  const { server, url } = await startApi(t, [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }])
  const log: string[] = []
  server.onLine((line) => { if (line.includes('node agent reported an internal error')) log.push(line) })

  const answer = await callHttp(url, 'GET', INFO_PATH)
  t.equal(answer.status, 500)
  t.strictSame(answer.body, { scode: 5001, desc: '', message: 'internal error', message_cn: '内部错误', stack: null, data: null })
  const batch = await callHttp(url, 'POST', `${CDP}/enable`, { volumes: [{ cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }] })
  t.equal(batch.status, 200)
  t.notMatch(JSON.stringify(batch.body), 'SQLITE', 'nor in a batch item')
  t.match(batch.body, { data: { fail: 1, results: [{ scode: 5001, desc: '' }] } })

  // The log line is written before the answer is sent; the pipe may deliver it a moment later.
  while (log.length < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  const entries = log.map((line) => JSON.parse(line) as { level: number, agent: string, operation: string, desc: string })
  t.match(entries, [{ level: 50, agent: agent.url, operation: 'info', desc: leak }, { level: 50, agent: agent.url, operation: 'enable', desc: leak }])
})
