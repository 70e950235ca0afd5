// One cdp-sim subcommand: its options (parsed with node:util parseArgs, strict), its help
// text made from the same table, and what it does. A subcommand is one file that exports
// `defineCommand({...})`; simulator/cli.ts lists them.
import { parseArgs } from 'node:util'
import { isCdpError } from '../../src/errors.js'
import { toUint64 } from '../../src/json.js'

export interface OptionSpec {
  type: 'string' | 'boolean'
  /** May be given more than once; the values come as a list. */
  multiple?: boolean
  /** The value's placeholder in the help, e.g. `PORT`. */
  value?: string
  /** A one-letter alias, e.g. `o` for -o. */
  short?: string
  description: string
  /** Shown in the help and used when the option is absent. */
  default?: string
  /** An environment variable whose value, when set and not empty, stands in for the default. */
  env?: string
}

type OptionValue<S extends OptionSpec> =
  S['type'] extends 'boolean' ? boolean
    : S['multiple'] extends true ? string[]
      : S extends { default: string } ? string : string | undefined

export type OptionValues<O extends Record<string, OptionSpec>> = { [K in keyof O]: OptionValue<O[K]> }

/** What a command may touch instead of `process`. */
export interface CommandIo {
  out: (line: string) => void
  err: (line: string) => void
  /** Aborted on SIGTERM/SIGINT: a long-running command finishes up and returns. */
  stop: AbortSignal
  /** The environment, for options that take their default from a variable. */
  env: Readonly<Record<string, string | undefined>>
  /** The command line that starts this cdp-sim again (node, its flags, the entry), for commands that start others. */
  self: readonly string[]
}

export interface CommandSpec<O extends Record<string, OptionSpec>> {
  name: string
  /** One line, for the list of commands. */
  summary: string
  /** Further paragraphs of help, after the summary. */
  description?: string
  /** Positional arguments as the usage line shows them, e.g. `VOLUME`. */
  positionals?: string
  options: O
  /** Resolves to the exit code. A UsageError is a bad option or value. */
  run: (values: OptionValues<O>, positionals: string[], io: CommandIo) => Promise<number>
}

export interface Command {
  name: string
  summary: string
  help: () => string
  execute: (argv: string[], io: CommandIo) => Promise<number>
}

/** A bad option or value: reported in one line with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'print this help' }

function helpText<O extends Record<string, OptionSpec>> (spec: CommandSpec<O>): string {
  const rows = Object.entries({ ...spec.options, help: HELP }).map(([name, option]) => {
    const flag = `${option.short === undefined ? '' : `-${option.short}, `}--${name}${option.value === undefined ? '' : ` ${option.value}`}`
    const fallback = [option.env === undefined ? '' : `$${option.env}`, option.default ?? ''].filter((s) => s !== '').join(', else ')
    const extra = [option.multiple === true ? 'repeatable' : '', fallback === '' ? '' : `default: ${fallback}`].filter((s) => s !== '')
    return [flag, `${option.description}${extra.length === 0 ? '' : ` (${extra.join('; ')})`}`] as const
  })
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2
  return [
    `Usage: cdp-sim ${spec.name} [options]${spec.positionals === undefined ? '' : ` ${spec.positionals}`}`,
    '',
    `${spec.summary}.`,
    ...(spec.description === undefined ? [] : ['', spec.description]),
    '',
    'Options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`)
  ].join('\n')
}

/** parseArgs' own messages, shortened to what was wrong. */
function parseError (err: Error & { code?: string }): UsageError {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message)
  if (unknown !== null) return new UsageError(`unknown option ${unknown[1] ?? ''}`)
  return new UsageError(err.message.replace(/\s+/g, ' ').replace(/\. To specify .*$/, ''))
}

export function defineCommand<O extends Record<string, OptionSpec>> (spec: CommandSpec<O>): Command {
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, option]) =>
    [name, { type: option.type, multiple: option.multiple ?? false, ...(option.short === undefined ? {} : { short: option.short }) }]))
  return {
    name: spec.name,
    summary: spec.summary,
    help: () => helpText(spec),
    execute: async (argv, io) => {
      let parsed
      try {
        parsed = parseArgs({
          args: argv,
          options: { ...options, help: { type: 'boolean', short: 'h' } },
          strict: true,
          allowPositionals: spec.positionals !== undefined
        })
      } catch (err) {
        if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) throw parseError(err as Error)
        throw err
      }
      if (parsed.values.help === true) {
        io.out(helpText(spec))
        return 0
      }
      const given = parsed.values as Record<string, string | boolean | string[] | undefined>
      const values = Object.fromEntries(Object.entries(spec.options).map(([name, option]) => {
        const fromEnv = option.env === undefined || io.env[option.env] === '' ? undefined : io.env[option.env]
        const absent = option.type === 'boolean' ? false : option.multiple === true ? [] : fromEnv ?? option.default
        return [name, given[name] ?? absent]
      })) as OptionValues<O>
      return await spec.run(values, parsed.positionals, io)
    }
  }
}

/** An option's value as a whole number in [min, max]. */
export function integerOption (text: string, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, not ${JSON.stringify(text)}`)
  }
  return n
}

/** An option's value as one of a few words. */
export function choiceOption<T extends string> (text: string, name: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not ${JSON.stringify(text)}`)
  }
  return text as T
}

/** An option's value as a uint64 (decimal digits, at most 2^64-1). */
export function uint64Option (text: string, name: string): bigint {
  try {
    return toUint64(text, `--${name}`)
  } catch (err) {
    if (isCdpError(err)) throw new UsageError(`${err.desc}, not ${JSON.stringify(text)}`)
    throw err
  }
}
