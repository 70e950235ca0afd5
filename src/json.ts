// Request JSON, parsed without losing digits. Fastify's default JSON.parse rounds integers
// above 2^53, and CDP times in ns (1630057893506590075) must travel exactly: a time read
// from `info` and sent back to `view`/`revert` has to select exactly that point.
import { isSafeNumber, parse, stringify } from 'lossless-json'
import { CdpError } from './errors.js'

/** Keys that reach Object's prototype machinery; secure-json-parse refuses them too. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor'])

/** How an integer is written plainly: no sign but a minus, no fraction, no exponent, no -0. */
const PLAIN_INTEGER = /^(0|-?[1-9][0-9]*)$/

/**
 * Only a plainly written integer that the JS number type holds exactly becomes a number.
 * Every other number (above 2^53, `-0`, `0.0`, `1e0`, `0e5`, `0.5`) stays its text: a
 * uint64 field takes that text only when it is decimal digits (and `toUint64` reads it
 * exactly), and every other number field refuses a string. No field of this API is
 * fractional, so a spelling is never silently turned into a different-looking integer.
 */
function parseNumber (text: string): number | string {
  return PLAIN_INTEGER.test(text) && isSafeNumber(text) ? Number(text) : text
}

function refuseForbiddenKeys (key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key)
  return value
}

function forbiddenKey (key: string): CdpError {
  return new CdpError('INVALID_JSON', `forbidden key "${key}"`)
}

const JSON_WHITESPACE = new Set([' ', '\t', '\n', '\r'])

/**
 * The first key that an object of (valid) JSON text names twice, compared after escapes are
 * decoded ("a" and "\u0061" are one key). A parser keeps one of the two silently, and which
 * one differs between parsers, so a duplicate is refused whatever its values.
 */
export function duplicateKey (text: string): string | undefined {
  // One entry per open container: the keys seen in an object, null in an array.
  const open: Array<Set<string> | null> = []
  const structure = /[{}[\]"]/g
  for (let match = structure.exec(text); match !== null; match = structure.exec(text)) {
    const c = match[0]
    if (c === '{') open.push(new Set())
    else if (c === '[') open.push(null)
    else if (c === '}' || c === ']') open.pop()
    else {
      const start = match.index
      let end = text.indexOf('"', start + 1)
      // A quote preceded by an odd number of backslashes is escaped: look further.
      while (end !== -1 && backslashesBefore(text, end) % 2 === 1) end = text.indexOf('"', end + 1)
      if (end === -1) return undefined
      let next = end + 1
      while (JSON_WHITESPACE.has(text[next] ?? '')) next++
      const keys = open[open.length - 1]
      if (keys != null && text[next] === ':') {
        const raw = text.slice(start + 1, end)
        const key = raw.includes('\\') ? JSON.parse(`"${raw}"`) as string : raw
        if (keys.has(key)) return key
        keys.add(key)
      }
      structure.lastIndex = end + 1
    }
  }
  return undefined
}

function backslashesBefore (text: string, at: number): number {
  let n = 0
  while (text[at - 1 - n] === '\\') n++
  return n
}

export function parseJson (text: string): unknown {
  let value: unknown
  try {
    value = parse(text, refuseForbiddenKeys, { parseNumber })
  } catch (err) {
    if (err instanceof CdpError) throw err
    throw new CdpError('INVALID_JSON', (err as Error).message)
  }
  refuseDuplicateKey(text)
  return value
}

function refuseDuplicateKey (text: string): void {
  const duplicate = duplicateKey(text)
  if (duplicate !== undefined) throw new CdpError('INVALID_JSON', `duplicate key ${JSON.stringify(duplicate)}`)
}

/**
 * For text from a peer that writes every uint64 as a decimal string: the engine's JSON.parse
 * (several times faster than the lossless parser), with parseJson's refusal of forbidden and
 * duplicate keys. Its numbers are doubles, so an integer above 2^53 comes back rounded: what
 * reads the value must refuse unsafe numbers, as `decodeStrings` (src/schemas/wire.ts) does.
 */
export function parseJsonAsDoubles (text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new CdpError('INVALID_JSON', (err as Error).message)
  }
  // JSON.parse keeps one of two equal keys: fewer keys parsed than written means a duplicate,
  // or a string holding `\":`, which the exact scan tells apart.
  if (keysParsed(value) !== keysWritten(text)) refuseDuplicateKey(text)
  return value
}

/**
 * JSON the service trusts (its own answers, its fixtures) read exactly: integers above 2^53
 * come back as bigint, the others as numbers. Request bodies go through parseJson instead.
 */
export function parseExact (text: string): unknown {
  return parse(text, null, (n) => isSafeNumber(n) ? Number(n) : BigInt(n))
}

/** JSON text of a value holding bigints, printed as plain JSON integers (exact ns times). */
export function printExact (value: unknown): string {
  return stringify(value) ?? ''
}

/**
 * JSON with every bigint written as its decimal string (what a `uint64-strings` peer sends):
 * a copy with the bigints as strings, printed by the engine's JSON.stringify. A replacer
 * function, called for every key and value, took an agent's list answer of 10 items 40 µs
 * here against 24 µs, and an agent prints one such answer per list call.
 */
export function stringifyUint64Strings (value: unknown): string {
  return JSON.stringify(bigintsAsStrings(value))
}

function bigintsAsStrings (value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  // What has a toJSON (a Date, a Buffer) prints as that says, as it would have.
  if (typeof value !== 'object' || value === null || typeof (value as { toJSON?: unknown }).toJSON === 'function') return value
  if (Array.isArray(value)) return value.map(bigintsAsStrings)
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) {
    const item = bigintsAsStrings((value as Record<string, unknown>)[key])
    // An own `__proto__` key stays a key (an assignment would set the copy's prototype).
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true })
    else copy[key] = item
  }
  return copy
}

/** How many keys the parsed value's objects hold, refusing a forbidden one; iterative, as nesting is unbounded. */
function keysParsed (value: unknown): number {
  let count = 0
  const open: unknown[] = [value]
  while (open.length > 0) {
    const next = open.pop()
    if (Array.isArray(next)) {
      for (const item of next) if (typeof item === 'object' && item !== null) open.push(item)
      continue
    }
    for (const key in next as object) {
      if (FORBIDDEN_KEYS.has(key)) throw forbiddenKey(key)
      count++
      const item = (next as Record<string, unknown>)[key]
      if (typeof item === 'object' && item !== null) open.push(item)
    }
  }
  return count
}

/**
 * How many colons of the text follow a quote (whitespace between): every key ends so, and
 * elsewhere only an escaped quote inside a string can, so this is never fewer than the keys written.
 */
function keysWritten (text: string): number {
  let count = 0
  for (let colon = text.indexOf(':'); colon !== -1; colon = text.indexOf(':', colon + 1)) {
    let before = colon - 1
    while (JSON_WHITESPACE.has(text[before] ?? '')) before--
    if (text[before] === '"') count++
  }
  return count
}

export const UINT64_MAX = 2n ** 64n - 1n
const DECIMAL = /^[0-9]+$/

/**
 * The one way a uint64 request field (a JSON integer or a decimal string) becomes a
 * bigint: negatives, fractions, non-digits and values above 2^64−1 are INVALID_UINT64.
 */
export function toUint64 (value: number | string, field: string): bigint {
  const text = typeof value === 'number' ? (Number.isSafeInteger(value) ? String(value) : '') : value
  if (!DECIMAL.test(text)) throw new CdpError('INVALID_UINT64', `${field} must be an unsigned 64-bit integer`)
  const n = BigInt(text)
  if (n > UINT64_MAX) throw new CdpError('INVALID_UINT64', `${field} exceeds 2^64-1`)
  return n
}
