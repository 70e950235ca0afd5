// Request JSON, parsed without losing digits. Fastify's default JSON.parse rounds integers
// above 2^53, and CDP times in ns (1630057893506590075) must travel exactly: a time read
// from `info` and sent back to `view`/`revert` has to select exactly that point.
import { isSafeNumber, parse } from 'lossless-json'
import { CdpError } from './errors.js'

/** Keys that reach Object's prototype machinery; secure-json-parse refuses them too. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor'])

/**
 * A number the JS number type holds exactly stays a number; any other (an integer above
 * 2^53, a value with more digits than a double keeps) stays its decimal text, which the
 * uint64 schema accepts and `toUint64` reads exactly, and every other number field refuses.
 */
function parseNumber (text: string): number | string {
  return isSafeNumber(text) ? Number(text) : text
}

function refuseForbiddenKeys (key: string, value: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new CdpError('INVALID_JSON', `forbidden key "${key}"`)
  return value
}

export function parseJson (text: string): unknown {
  try {
    return parse(text, refuseForbiddenKeys, { parseNumber })
  } catch (err) {
    if (err instanceof CdpError) throw err
    throw new CdpError('INVALID_JSON', (err as Error).message)
  }
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
