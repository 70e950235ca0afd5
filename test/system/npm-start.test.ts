// `npm start` as an operator runs it: SIGTERM sent to the npm process itself stops the
// server gracefully, and npm exits 0 with no server left behind. (npm forwards the signal to
// its script's shell; the script execs node, so the signal reaches the server.)
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import t from 'tap'
import { request } from 'undici'
import { withoutRunnerHooks } from '../helpers/node-child.js'

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('SIGTERM to the npm start process closes the server gracefully; npm exits 0', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-npm-start-'))
  const npm = spawn(...withoutRunnerHooks('npm', ['start']), {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', CDP_SIM_DB: join(dir, 'sim.db'), CDP_SIM_CLOCK: 'manual', CDP_SIM_NBD_PORT: 'off', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let serverPid: number | undefined
  t.teardown(() => {
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL')
    if (serverPid !== undefined && alive(serverPid)) process.kill(serverPid, 'SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })
  const exited = once(npm, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const closing: string[] = []
  let address = ''
  const listening = new Promise<void>((resolve) => {
    createInterface({ input: npm.stdout }).on('line', (line) => {
      const match = /"pid":(\d+).*listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (match?.[1] !== undefined && match[2] !== undefined) {
        serverPid = Number(match[1])
        address = match[2]
        resolve()
      }
      if (line.includes('"msg":"closing"')) closing.push(line)
    })
  })
  await Promise.race([listening, exited])
  t.ok(serverPid !== undefined && serverPid !== npm.pid, 'the server is a process of its own')
  const res = await request(`${address}/healthz`)
  t.equal(res.statusCode, 200)
  await res.body.dump()

  npm.kill('SIGTERM')
  const [code, signal] = await exited
  t.equal(code, 0, 'npm exits 0')
  t.equal(signal, null)
  t.match(closing, [/"signal":"SIGTERM"/], 'the server closed on the signal')
  t.notOk(serverPid !== undefined && alive(serverPid), 'no server process is left running')
})
