// cdp-sim as a real child process, started the way npm's bin link starts it
// (bin/cdp-sim.js), on 127.0.0.1 with a free port; every process a test starts is killed
// at that test's end.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { callHttp, type Teardown } from './app.js'
import { bareNode } from './node-child.js'

export const BIN = 'bin/cdp-sim.js'

/** A directory for a test's agent databases and topology files, removed at its end. */
export function tempDir (t: Teardown, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}
export interface Finished { code: number | null, stdout: string, stderr: string }

/** Runs cdp-sim to its end (commands that do not serve), with `env` over this process's environment. */
export async function cdpSim (t: Teardown, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const child = execFile(...bareNode([BIN, ...args]), { env: { ...process.env, ...env } })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk: string) => { stdout += chunk })
  child.stderr?.on('data', (chunk: string) => { stderr += chunk })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

export interface Agent {
  url: string
  /** The stdout lines before the one that gave the URL. */
  before: string[]
  child: ChildProcess
  post: (path: string, body: unknown) => Promise<{ status: number, body: any }>
  get: (path: string) => Promise<{ status: number, body: any }>
  /** Sends the signal and resolves to the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
  /** Calls `fn` with each later line of its stdout (its request log, with --log-level info). */
  onLine: (fn: (line: string) => void) => void
  /** What it wrote to stderr so far. */
  stderr: () => string
}

/** Starts `cdp-sim agent` on a free loopback port and waits for its listening line. */
export async function startAgent (t: Teardown, args: string[] = [], preload: string[] = []): Promise<Agent> {
  return await startServing(t, ['agent', '--host', '127.0.0.1', '--port', '0', ...args], /^cdp-sim agent listening on (http:\/\/127\.0\.0\.1:\d+)$/, preload)
}

/**
 * Starts a serving cdp-sim command and waits for the stdout line `urlLine` matches (its first
 * group is the URL). `preload`: modules run before it (node --import, through tsx).
 */
export async function startServing (t: Teardown, args: string[], urlLine: RegExp, preload: string[] = []): Promise<Agent> {
  // A preload is TypeScript, so the command runs from source through tsx, its worker thread too
  // (the built one would start a worker that cannot load the preload's .ts).
  const entry = preload.length === 0 ? [BIN] : ['--import', 'tsx', ...preload.flatMap((p) => ['--import', p]), 'simulator/cli.ts']
  const child = spawn(...bareNode([...entry, ...args]), { stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  // 'close', not 'exit': by then its stderr has been read to the end.
  const exited = once(child, 'close') as Promise<[number | null]>
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  // stdout is read to the end, so a chatty log never fills the pipe and stalls the agent.
  const lines = new EventEmitter()
  const before: string[] = []
  let found = false
  const listening = new Promise<string>((resolve) => {
    createInterface({ input: child.stdout })
      .on('line', (line) => {
        const match = urlLine.exec(line)
        if (match?.[1] !== undefined && !found) {
          found = true
          resolve(match[1])
        } else if (!found) before.push(line)
        lines.emit('line', line)
      })
      .on('close', () => { resolve('') })
  })
  const url = await listening
  if (url === '') throw new Error(`cdp-sim ${args[0] ?? ''} did not start: ${stderr}`)
  return {
    url,
    before,
    child,
    post: async (path, body) => await callHttp(url, 'POST', path, body),
    get: async (path) => await callHttp(url, 'GET', path),
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal)
      return (await exited)[0]
    },
    onLine: (fn) => { lines.on('line', fn) },
    stderr: () => stderr
  }
}
