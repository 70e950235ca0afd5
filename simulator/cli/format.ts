// How the cdp-sim tools print times, durations, sizes and bars, and what they know of the
// terminal they print to (handed in by simulator/cli.ts, the one module that sees `process`).
import { NS_PER_SECOND } from '../../src/backend/port.js'

/** stdout when it is a terminal. */
export interface Terminal {
  columns: () => number
  /** ANSI colours wanted (a terminal without NO_COLOR). */
  color: boolean
  /** Replaces the current line with `line` (no newline); '' clears it. */
  status: (line: string) => void
}

/** A unix ns time as `2021-08-27 09:51:33.506590075 UTC`, and its ns after it when `raw`. */
export function formatTime (ns: bigint, raw = false): string {
  const date = new Date(Number(ns / NS_PER_SECOND) * 1000).toISOString().slice(0, 19).replace('T', ' ')
  const text = `${date}.${String(ns % NS_PER_SECOND).padStart(9, '0')} UTC`
  return raw ? `${text} (${ns})` : text
}

/** ns as `1d 2h 3m 4.5s`, or ms / µs / ns under a second. */
export function formatDuration (ns: bigint): string {
  if (ns < 1000n) return `${ns} ns`
  if (ns < 1_000_000n) return `${trim(Number(ns) / 1e3)} µs`
  if (ns < NS_PER_SECOND) return `${trim(Number(ns) / 1e6)} ms`
  const units: Array<[bigint, string]> = [[86_400n, 'd'], [3600n, 'h'], [60n, 'm']]
  let seconds = ns / NS_PER_SECOND
  const parts: string[] = []
  for (const [size, unit] of units) {
    if (seconds >= size || parts.length > 0) parts.push(`${seconds / size}${unit}`)
    seconds %= size
  }
  parts.push(`${trim(Number(seconds) + Number(ns % NS_PER_SECOND) / 1e9)}s`)
  return parts.join(' ')
}

/** At most three decimals, none when they are zero. */
function trim (n: number): string {
  return String(Math.round(n * 1000) / 1000)
}

const BYTE_UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']

export function formatBytes (bytes: bigint | number): string {
  let n = Number(bytes)
  if (n < 1024) return `${n} B`
  let unit = -1
  while (n >= 1024 && unit < BYTE_UNITS.length - 1) {
    n /= 1024
    unit++
  }
  return `${n.toFixed(1)} ${BYTE_UNITS[unit] ?? ''}`
}

/** `part` of `whole` as a percentage with two decimals (exact for uint64s). */
export function formatPercent (part: bigint, whole: bigint): string {
  if (whole === 0n) return '-'
  const hundredths = part * 10_000n / whole
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}%`
}

/** A bar of `width` cells, the first `fraction` of them full. */
export function bar (fraction: number, width: number): string {
  const full = Math.max(0, Math.min(width, Math.round(fraction * width)))
  return '█'.repeat(full) + '░'.repeat(width - full)
}

const STYLES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const
export type Style = keyof typeof STYLES

/** `text` in a colour when `color` is on; plain text otherwise. */
export function paint (color: boolean, style: Style, text: string): string {
  return color ? `\x1b[${STYLES[style]}m${text}\x1b[0m` : text
}
