// The server entry (src/server.ts, what `npm start` runs) as a child process on 127.0.0.1
// with a free port, killed at the test's end if it is still running. Its stdout (the
// request log) is read to the end, so a busy log never fills the pipe and stalls it.
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { distIsCurrent } from '../../bin/dist.mjs'
import type { Teardown } from './app.js'
import { bareNode } from './node-child.js'

export interface ApiServer {
  child: ChildProcess
  /** Resolves to the address it listens at, or '' if it exits first. */
  address: Promise<string>
  stderr: () => string
  /** Calls `fn` with each line of its log (JSON, one entry a line) from now on. */
  onLine: (fn: (line: string) => void) => void
}

/**
 * `preload`: modules run before the server (node --import, through tsx). Without one, the
 * built entry runs when dist/ is current (as `npm start` runs it), else the source.
 */
export function spawnApiServer (t: Teardown, env: Record<string, string>, preload: string[] = []): ApiServer {
  const entry = preload.length === 0 && distIsCurrent() ? ['dist/src/server.js'] : ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p]), 'src/server.ts']
  const child = spawn(...bareNode(entry), {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', CDP_SIM_NBD_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const listeners: Array<(line: string) => void> = []
  const address = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout })
      .on('line', (line) => {
        for (const fn of listeners) fn(line)
        const match = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
        if (match?.[1] !== undefined) resolve(match[1])
      })
      .on('close', () => { resolve('') })
  })
  return { child, address, stderr: () => stderr, onLine: (fn) => { listeners.push(fn) } }
}
