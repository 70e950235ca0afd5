// The server process's life: a graceful close on SIGTERM lets requests in flight finish,
// and what it logs carries request ids but never a token.
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { PassThrough } from 'node:stream'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { DEMO } from '../helpers/app.js'
import { spawnApiServer } from '../helpers/api-server.js'

interface Server {
  address: string
  /** Every line the server printed so far. */
  lines: string[]
  /** Resolves when a printed line matches. */
  waitFor: (pattern: RegExp) => Promise<string>
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

async function startServer (t: Test, env: Record<string, string>): Promise<Server> {
  const server = spawnApiServer(t, { CDP_SIM_CLOCK: 'manual', ...env })
  const exited = once(server.child, 'exit') as Promise<[number | null]>
  const lines: string[] = []
  const waiting: Array<{ pattern: RegExp, resolve: (line: string) => void }> = []
  if (server.child.stdout === null) throw new Error('the server has no stdout')
  createInterface({ input: server.child.stdout }).on('line', (line) => {
    lines.push(line)
    for (const w of waiting.filter((w) => w.pattern.test(line))) {
      waiting.splice(waiting.indexOf(w), 1)
      w.resolve(line)
    }
  })
  const waitFor = async (pattern: RegExp): Promise<string> => {
    const seen = lines.find((line) => pattern.test(line))
    return seen ?? await new Promise((resolve) => waiting.push({ pattern, resolve }))
  }
  const address = await server.address
  if (address === '') throw new Error(`the server did not start: ${server.stderr()}`)
  return {
    address,
    lines,
    waitFor,
    stop: async (signal = 'SIGTERM') => {
      server.child.kill(signal)
      return (await exited)[0]
    }
  }
}

t.test('SIGTERM while requests are in flight: they complete, then the server exits 0', async (t) => {
  const server = await startServer(t, { LOG_LEVEL: 'info', CDP_KEEP_ALIVE_TIMEOUT_MS: '3600000' })
  const enable = await request(`${server.address}/v1/volume/internal/cdp/enable`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ volumes: [{ cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }] })
  })
  t.equal(enable.statusCode, 200)
  await enable.body.dump()
  // Bodies still arriving when the signal comes: the requests are surely in flight.
  const bodies = Array.from({ length: 3 }, () => new PassThrough())
  const writes = bodies.map((body, i) => request(`${server.address}/sim/v1/volumes/${DEMO.cdp1}/writes`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': `inflight-${i}` },
    body
  }))
  const texts = bodies.map((_, i) => JSON.stringify({ writes: [{ offset: i * 4096, length: 4096, fill: i + 1 }] }))
  bodies.forEach((body, i) => body.write((texts[i] as string).slice(0, 10)))
  for (let i = 0; i < bodies.length; i++) await server.waitFor(new RegExp(`"reqId":"inflight-${i}".*"msg":"incoming request"`))
  const exit = server.stop('SIGTERM')
  await server.waitFor(/"msg":"closing"/)
  bodies.forEach((body, i) => body.end((texts[i] as string).slice(10)))
  for (const answer of await Promise.all(writes)) {
    t.equal(answer.statusCode, 200, 'an in-flight request completes')
    t.equal(answer.headers.connection, 'close', 'and ends its keep-alive connection, so the close does not wait for it')
    t.equal(((await answer.body.json()) as { data: { count: number } }).data.count, 1)
  }
  t.equal(await exit, 0)
})

t.test('tokens never reach the logs, even at trace level; each log line of a request has its id', async (t) => {
  const token = 'very-secret-token-value-123'
  const dir = t.testdir({ 'tokens.json': JSON.stringify({ tokens: [{ token, name: 'tester' }] }) })
  const server = await startServer(t, { LOG_LEVEL: 'trace', CDP_AUTH_TOKENS_FILE: `${dir}/tokens.json` })
  for (const authorization of [`Bearer ${token}`, 'Bearer wrong-token-value-0000']) {
    const res = await request(`${server.address}/v1/volume/internal/cdp/list?cluster_uuid=${DEMO.cluster}`, {
      headers: { authorization, 'x-request-id': 'traced-1' }
    })
    await res.body.dump()
  }
  t.equal(await server.stop('SIGTERM'), 0)
  const logs = server.lines.join('\n')
  t.notMatch(logs, token)
  t.notMatch(logs, 'wrong-token-value')
  const requestLines = server.lines.filter((line) => line.includes('"url":"/v1/volume/internal/cdp/list'))
  t.ok(requestLines.length > 0)
  for (const line of requestLines) t.match(line, /"reqId":"traced-1"/)
})
