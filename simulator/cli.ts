// cdp-sim, the simulator's command line: picks the subcommand, prints help, turns a bad
// option into one line on stderr and a non-zero exit. The only CLI module that touches
// `process` (argv, output, signals, exit code). A new subcommand is one file under cli/
// and one entry in `commands`. Each is imported only when it is used, so a quick tool does
// not load what `agent` needs (Fastify, SQLite).
import { type Command, type CommandIo, UsageError } from './cli/command.js'
import type { Terminal } from './cli/format.js'

/** stdout when it is a terminal: progress bars, window-wide charts, colours (unless NO_COLOR). */
const terminal: Terminal | undefined = process.stdout.isTTY
  ? {
      columns: () => process.stdout.columns,
      color: process.env.NO_COLOR === undefined || process.env.NO_COLOR === '',
      status: (line) => { process.stdout.write(`\r\x1b[2K${line}`) }
    }
  : undefined

/** Every command by name, in the order the overview lists them. */
const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./cli/serve.js')).serve,
  agent: async () => (await import('./cli/agent.js')).agent,
  cluster: async () => (await import('./cli/cluster.js')).cluster,
  workload: async () => (await import('./cli/workload.js')).workload(terminal),
  clock: async () => (await import('./cli/clock.js')).clock,
  image: async () => (await import('./cli/image.js')).image,
  host: async () => (await import('./cli/host.js')).host,
  vm: async () => (await import('./cli/vm.js')).vm,
  timeline: async () => (await import('./cli/timeline.js')).timeline(terminal)
}

async function overview (): Promise<string> {
  const all = await Promise.all(Object.values(commands).map(async (load) => await load()))
  const width = Math.max(...all.map((c) => c.name.length)) + 2
  return [
    'cdp-sim: the volume-cdp storage-cluster simulator\'s command line',
    '',
    'Usage: cdp-sim COMMAND [options]',
    '       cdp-sim help [COMMAND]      (or cdp-sim COMMAND --help)',
    '',
    'Commands:',
    ...all.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    ...all.flatMap((c) => ['', `-- cdp-sim ${c.name} --`, '', c.help()])
  ].join('\n')
}

async function find (name: string): Promise<Command> {
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (load === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`)
  return await load()
}

async function main (argv: string[], io: CommandIo): Promise<number> {
  const [first, ...rest] = argv
  let command: Command | undefined
  try {
    if (first === undefined) throw new UsageError('missing command')
    if (first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
      io.out(await overview())
      return 0
    }
    if (first === 'help') {
      io.out((await find(rest[0] ?? '')).help())
      return 0
    }
    command = await find(first)
    return await command.execute(rest, io)
  } catch (err) {
    const who = command === undefined ? 'cdp-sim' : `cdp-sim ${command.name}`
    const message = (err as Error).message.replace(/\s+/g, ' ')
    if (err instanceof UsageError) {
      io.err(`${who}: ${message} (see ${who} --help)`)
      return 2
    }
    io.err(`${who}: ${message}`)
    return 1
  }
}

// A reader that went away (`cdp-sim timeline … | head`) ends the command quietly, as SIGPIPE would.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
  process.exit()
})
const stopping = new AbortController()
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => { stopping.abort() })
// Started by another cdp-sim over an IPC channel (`cluster`'s agents): when it is gone, stop too.
if (process.connected) process.once('disconnect', () => { stopping.abort() })
process.exitCode = await main(process.argv.slice(2), {
  out: (line) => { process.stdout.write(`${line}\n`) },
  err: (line) => { process.stderr.write(`${line}\n`) },
  stop: stopping.signal,
  env: process.env,
  self: [process.execPath, ...process.execArgv, process.argv[1] ?? '']
})
// An open IPC channel would keep the process alive after its command is done.
if (process.connected) process.disconnect()
