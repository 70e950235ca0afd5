// cdp-sim, the simulator's command line: picks the subcommand, prints help, turns a bad
// option into one line on stderr and a non-zero exit. The only CLI module that touches
// `process` (argv, output, signals, exit code). A new subcommand is one file under cli/
// and one entry in `commands`.
import { agent } from './cli/agent.js'
import { type Command, type CommandIo, UsageError } from './cli/command.js'

const commands: readonly Command[] = [agent]

function overview (): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2
  return [
    'cdp-sim: the volume-cdp storage-cluster simulator\'s command line',
    '',
    'Usage: cdp-sim COMMAND [options]',
    '       cdp-sim help [COMMAND]      (or cdp-sim COMMAND --help)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    ...commands.flatMap((c) => ['', `-- cdp-sim ${c.name} --`, '', c.help()])
  ].join('\n')
}

function find (name: string): Command {
  const command = commands.find((c) => c.name === name)
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`)
  return command
}

async function main (argv: string[], io: CommandIo): Promise<number> {
  const [first, ...rest] = argv
  let command: Command | undefined
  try {
    if (first === undefined) throw new UsageError('missing command')
    if (first === '--help' || first === '-h' || (first === 'help' && rest.length === 0)) {
      io.out(overview())
      return 0
    }
    if (first === 'help') {
      io.out(find(rest[0] ?? '').help())
      return 0
    }
    command = find(first)
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

const stopping = new AbortController()
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => { stopping.abort() })
process.exitCode = await main(process.argv.slice(2), {
  out: (line) => { process.stdout.write(`${line}\n`) },
  err: (line) => { process.stderr.write(`${line}\n`) },
  stop: stopping.signal
})
