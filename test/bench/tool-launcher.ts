// Runs the NBD benchmarks' tools (nbdcopy) for the benchmark process, as a shell would for a
// user. The benchmark process holds the simulator and its volume in memory: forking it for each
// nbdcopy copied its page tables and write-protected every page, so the simulator then took a
// page fault at each page it touched again, a cost no server pays when its clients run
// elsewhere. Forked once, before the volume exists, this process forks instead.
import { execFile, fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

interface Ask { id: number, file: string, args: string[] }
interface Answer { id: number, error?: string }

export interface ToolLauncher {
  /** Runs `file` with `args` to its end; rejects if it fails. */
  run: (file: string, args: string[]) => Promise<void>
  close: () => void
}

export async function startToolLauncher (): Promise<ToolLauncher> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiting = new Map<number, { resolve: () => void, reject: (error: Error) => void }>()
  child.on('message', ({ id, error }: Answer) => {
    const asked = waiting.get(id)
    waiting.delete(id)
    if (error === undefined) asked?.resolve()
    else asked?.reject(new Error(error))
  })
  // A launcher that dies leaves no run waiting for an answer that cannot come.
  child.on('exit', (code, signal) => {
    for (const asked of waiting.values()) asked.reject(new Error(`the tool launcher ended (${signal ?? code})`))
    waiting.clear()
  })
  let next = 0
  const run = async (file: string, args: string[]): Promise<void> => await new Promise((resolve, reject) => {
    const id = next++
    waiting.set(id, { resolve, reject })
    child.send({ id, file, args } satisfies Ask)
  })
  await run('true', [])
  return { run, close: () => { child.kill() } }
}

if (process.argv[2] === '--serve') {
  process.on('message', ({ id, file, args }: Ask) => {
    execFile(file, args, (error) => { process.send!({ id, error: error?.message } satisfies Answer) })
  })
}
