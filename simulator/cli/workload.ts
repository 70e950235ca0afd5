// `cdp-sim workload`: writes into volumes through the control API (/sim/v1) at a rate, for a
// count or a time, in a block pattern, with a progress bar on a terminal and plain lines
// otherwise; prints what it wrote. One request at a time, stopped early by SIGINT/SIGTERM.
import { randomInt } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { choiceOption, defineCommand, integerOption, uint64Option, UsageError, type Command, type CommandIo } from './command.js'
import { bar, formatBytes, formatDuration, formatTime, type Terminal } from './format.js'
import { CONNECTION_OPTIONS, type SimClient, uint64, uuidArgument, withClient } from './remote.js'
import { PATTERNS, type Pattern, WritePattern } from './write-pattern.js'
import { CONTROL_API_PREFIX } from '../control.js'

const BLOCK = 4096
/** The control API takes at most 4 MiB of data in one write. */
const MAX_BLOCK_SIZE = 4 * 1024 * 1024
const DEFAULT_DURATION_S = 10
const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, KiB: 1024, M: 1024 ** 2, MiB: 1024 ** 2, G: 1024 ** 3, GiB: 1024 ** 3 }

/** A size in bytes, with an optional K/M/G (KiB/MiB/GiB) suffix. */
function sizeOption (text: string, name: string): number {
  const match = /^([0-9]+)([KMG](?:iB)?)?$/.exec(text)
  const n = match === null ? NaN : Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] ?? NaN)
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} must be a size in bytes (e.g. 65536, 64K, 16M, 1G), not ${JSON.stringify(text)}`)
  return n
}

/** A non-negative decimal number (seconds, writes per second). */
function decimalOption (text: string, name: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) throw new UsageError(`--${name} must be a non-negative number, not ${JSON.stringify(text)}`)
  return Number(text)
}

interface Tally { writes: number, bytes: number }

interface Run {
  total: Tally
  perVolume: Map<string, Tally>
  first?: bigint
  last?: bigint
  startedMs: number
  failure?: Error
  interrupted: boolean
}

interface Limits {
  count?: number
  durationMs?: number
  rate: number
}

function elapsedMs (run: Run): number {
  return performance.now() - run.startedMs
}

function perSecond (run: Run): string {
  const seconds = elapsedMs(run) / 1000
  return seconds === 0 ? '-' : (run.total.writes / seconds).toFixed(1)
}

/** How far along the run is, 0..1: by count when there is one, else by time. */
function progress (run: Run, limits: Limits): number {
  if (limits.count !== undefined) return limits.count === 0 ? 1 : run.total.writes / limits.count
  return Math.min(1, elapsedMs(run) / (limits.durationMs ?? 1))
}

function progressLine (run: Run, limits: Limits, terminal: Terminal | undefined): string {
  const counted = `${run.total.writes}${limits.count === undefined ? '' : `/${limits.count}`} writes`
  const figures = `${counted}, ${formatBytes(run.total.bytes)}, ${perSecond(run)} writes/s, ${(elapsedMs(run) / 1000).toFixed(1)} s`
  if (terminal === undefined) return `workload: ${figures}`
  const fraction = progress(run, limits)
  const width = Math.max(10, Math.min(40, terminal.columns() - figures.length - 10))
  return `[${bar(fraction, width)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${figures}`
}

function summary (run: Run, settings: string, digests: Map<string, string>): string[] {
  const { writes, bytes } = run.total
  const seconds = elapsedMs(run) / 1000
  const stopped = run.interrupted ? ' (stopped by signal)' : ''
  const lines = [
    `workload: ${writes} writes, ${formatBytes(bytes)} (${bytes} bytes) in ${seconds.toFixed(2)} s (${perSecond(run)} writes/s)${stopped}`,
    `  ${settings}`,
    `  errors: ${run.failure === undefined ? 0 : `1, stopped at: ${run.failure.message}`}`,
    `  first write: ${run.first === undefined ? '-' : formatTime(run.first, true)}`,
    `  last write:  ${run.last === undefined ? '-' : formatTime(run.last, true)}`
  ]
  for (const [volume, tally] of run.perVolume) {
    const digest = digests.get(volume)
    lines.push(`  volume ${volume}: ${tally.writes} writes, ${formatBytes(tally.bytes)}${digest === undefined ? '' : `, image sha256 ${digest}`}`)
  }
  return lines
}

/** Waits until `atMs` (performance.now() time); false if a signal came first. */
async function waitUntil (atMs: number, stop: AbortSignal): Promise<boolean> {
  const ms = atMs - performance.now()
  if (ms <= 0) return !stop.aborted
  try {
    await sleep(ms, undefined, { signal: stop })
    return true
  } catch {
    return false
  }
}

interface WriteSettings {
  pattern: WritePattern
  blockSize: number
  fill: number | undefined
  advanceNs: bigint | undefined
}

async function drive (client: SimClient, run: Run, limits: Limits, settings: WriteSettings, stop: AbortSignal): Promise<void> {
  const deadline = limits.durationMs === undefined ? Infinity : run.startedMs + limits.durationMs
  for (let i = 0; limits.count === undefined || i < limits.count; i++) {
    const due = limits.rate === 0 ? performance.now() : run.startedMs + i * 1000 / limits.rate
    if (due >= deadline || performance.now() >= deadline) return
    if (!await waitUntil(due, stop)) {
      run.interrupted = true
      return
    }
    const { volume, offset } = settings.pattern.next()
    const content = settings.fill === undefined ? settings.pattern.content() : { fill: settings.fill }
    const write = 'data' in content
      ? { offset, data: content.data.toString('base64') }
      : { offset, length: settings.blockSize, fill: content.fill }
    try {
      const answer = await client.post(`${CONTROL_API_PREFIX}/volumes/${volume}/writes`, { writes: [write] }) as { time: unknown }
      const time = uint64(answer.time, 'time')
      run.first ??= time
      run.last = time
      for (const tally of [run.total, run.perVolume.get(volume)]) {
        if (tally === undefined) continue
        tally.writes++
        tally.bytes += settings.blockSize
      }
      if (settings.advanceNs !== undefined) await client.post(`${CONTROL_API_PREFIX}/clock/advance`, { nanoseconds: settings.advanceNs })
    } catch (err) {
      run.failure = err as Error
      return
    }
  }
}

/** Checks the simulator answers and has every volume (and a manual clock for --advance-ns). */
async function preflight (client: SimClient, volumes: string[], advanceNs: bigint | undefined): Promise<void> {
  const clock = await client.get(`${CONTROL_API_PREFIX}/clock`) as { mode: string }
  if (advanceNs !== undefined && clock.mode !== 'manual') throw new Error(`--advance-ns needs a manual clock; the simulator's is ${clock.mode}`)
  for (const volume of volumes) await client.get(`${CONTROL_API_PREFIX}/volumes/${volume}/image`)
}

/** Each volume's image digest after the run; none when the simulator cannot say. */
async function digestsAfter (client: SimClient, volumes: string[]): Promise<Map<string, string>> {
  const digests = new Map<string, string>()
  for (const volume of volumes) {
    try {
      digests.set(volume, (await client.get(`${CONTROL_API_PREFIX}/volumes/${volume}/image`) as { digest: string }).digest)
    } catch {
      return digests
    }
  }
  return digests
}

export function workload (terminal: Terminal | undefined): Command {
  return defineCommand({
    name: 'workload',
    summary: 'Write into volumes through the simulator control API at a rate, in a block pattern, and print what was written',
    description: [
      'Writes go one request at a time (one block of --block-size each), round robin over the',
      'volumes, at the clock\'s now; a volume with CDP on journals them. Without --count and',
      `--duration it runs for ${DEFAULT_DURATION_S} s; with both it stops at whichever comes first.`,
      'A terminal gets a progress bar, anything else a line a second. SIGINT or SIGTERM stops it',
      'early, still printing the summary. The first failed write stops it: the summary, then the',
      'cause on stderr and exit code 1. The same options and --seed write the same bytes at the',
      'same offsets, so the images end with the same digests. --fill-share mixes fills (each',
      'stored once, however often written) into the random data.'
    ].join('\n'),
    options: {
      ...CONNECTION_OPTIONS,
      volume: { type: 'string', multiple: true, value: 'UUID', description: 'a volume to write into; at least one' },
      rate: { type: 'string', value: 'N', default: '100', description: 'writes per second over all volumes; 0: as fast as the simulator answers' },
      duration: { type: 'string', value: 'S', description: 'seconds to run' },
      count: { type: 'string', value: 'N', description: 'writes to make' },
      'block-size': { type: 'string', value: 'BYTES', default: '4096', description: 'bytes per write, a multiple of 4096 up to 4M (K, M, G suffixes are KiB, MiB, GiB)' },
      pattern: { type: 'string', value: PATTERNS.join('|'), default: 'sequential', description: 'where writes land: in order from the start (wrapping), anywhere, or hot (80% of writes to the first 20% of blocks)' },
      span: { type: 'string', value: 'BYTES', default: '64M', description: 'how many bytes from the start of each volume writes land in, a multiple of --block-size' },
      fill: { type: 'string', value: 'BYTE', description: 'write this byte value (0-255) over each block instead of random data' },
      'fill-share': { type: 'string', value: 'S', default: '0', description: 'the share of writes (0 to 1) that fill their block with a byte drawn from the seed; the others write random bytes' },
      'advance-ns': { type: 'string', value: 'N', description: 'after each write, advance the simulator\'s manual clock by N ns (so history accumulates)' },
      seed: { type: 'string', value: 'N', description: 'seed of the offsets and data, 0 to 4294967295 (default: a random one, printed in the summary)' }
    },
    run: async (values, _positionals, io: CommandIo) => {
      if (values.volume.length === 0) throw new UsageError('--volume is required')
      const volumes = values.volume.map((v) => uuidArgument(v, '--volume'))
      const rate = decimalOption(values.rate, 'rate')
      const count = values.count === undefined ? undefined : integerOption(values.count, 'count', 0)
      const durationS = values.duration === undefined ? (count === undefined ? DEFAULT_DURATION_S : undefined) : decimalOption(values.duration, 'duration')
      const blockSize = sizeOption(values['block-size'], 'block-size')
      if (blockSize === 0 || blockSize % BLOCK !== 0 || blockSize > MAX_BLOCK_SIZE) throw new UsageError(`--block-size must be a multiple of 4096 from 4096 to 4M, not ${values['block-size']}`)
      const pattern: Pattern = choiceOption(values.pattern, 'pattern', PATTERNS)
      const span = sizeOption(values.span, 'span')
      if (span === 0 || span % blockSize !== 0) throw new UsageError(`--span must be a multiple of --block-size (${blockSize}), not ${values.span}`)
      const fill = values.fill === undefined ? undefined : integerOption(values.fill, 'fill', 0, 255)
      const fillShare = decimalOption(values['fill-share'], 'fill-share')
      if (fillShare > 1) throw new UsageError(`--fill-share must be from 0 to 1, not ${values['fill-share']}`)
      if (fill !== undefined && fillShare > 0) throw new UsageError('--fill writes one byte everywhere; leave out --fill-share')
      const advanceNs = values['advance-ns'] === undefined ? undefined : uint64Option(values['advance-ns'], 'advance-ns')
      const seed = values.seed === undefined ? randomInt(2 ** 32) : integerOption(values.seed, 'seed', 0, 2 ** 32 - 1)

      const limits: Limits = { rate, ...(count === undefined ? {} : { count }), ...(durationS === undefined ? {} : { durationMs: durationS * 1000 }) }
      const settings = [
        `pattern ${pattern}, block size ${blockSize}, span ${span}, data ${fill === undefined ? `random${fillShare > 0 ? ` with ${fillShare * 100}% fills` : ''}` : `fill ${fill}`}, seed ${seed}`,
        `rate ${rate === 0 ? 'unlimited' : `${rate}/s`}`,
        ...(advanceNs === undefined ? [] : [`clock +${formatDuration(advanceNs)} per write`])
      ].join(', ')

      return await withClient(values, async (client) => {
        await preflight(client, volumes, advanceNs)
        const run: Run = { total: { writes: 0, bytes: 0 }, perVolume: new Map(volumes.map((v) => [v, { writes: 0, bytes: 0 }])), startedMs: performance.now(), interrupted: false }
        const show = (): void => {
          if (terminal === undefined) io.out(progressLine(run, limits, terminal))
          else terminal.status(progressLine(run, limits, terminal))
        }
        const ticker = setInterval(show, terminal === undefined ? 1000 : 100)
        try {
          await drive(client, run, limits, { pattern: new WritePattern({ volumes, pattern, blockSize, span, seed, fillShare }), blockSize, fill, advanceNs }, io.stop)
        } finally {
          clearInterval(ticker)
          terminal?.status('')
        }
        for (const line of summary(run, settings, await digestsAfter(client, volumes))) io.out(line)
        if (run.failure !== undefined) throw run.failure
        return 0
      })
    }
  })
}
