// `npm start`'s entry as a child process: it listens on 127.0.0.1, answers, and closes
// cleanly on SIGTERM.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import t from 'tap'
import { request } from 'undici'
import { DEMO } from '../helpers/app.js'
import { DEMO_TOPOLOGY } from '../helpers/demo.js'
import { bareNode } from '../helpers/node-child.js'

t.test('the server starts on a random loopback port, answers, and stops on SIGTERM', async (t) => {
  const child = spawn(...bareNode(['--import', 'tsx', 'src/server.ts']), {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', CDP_SIM_NBD_PORT: '0', CDP_SIM_CLOCK: 'manual', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let address = ''
  let serving: Record<string, unknown> = {}
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
    if (match?.[1] !== undefined) address = match[1]
    const entry = JSON.parse(line) as Record<string, unknown>
    if (entry.msg === 'volume-cdp serving') {
      serving = entry
      break
    }
  }
  t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/, 'listening on loopback')
  t.match(serving, {
    backend: 'simulator',
    topology: DEMO_TOPOLOGY,
    database: ':memory:',
    clock: 'manual',
    auth: 'open (loopback only)',
    cors: 'off'
  }, 'the start-up line says what it runs')
  const res = await request(`${address}/v1/volume/internal/cdp/list?cluster_uuid=${DEMO.cluster}`)
  const body = await res.body.json() as { scode: number, data: { TotalCount: number } }
  t.equal(res.statusCode, 200)
  t.equal(body.data.TotalCount, 0)
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const [code] = await exited as [number | null]
  t.equal(code, 0, 'a graceful close exits 0')
})
