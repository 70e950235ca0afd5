// What the concurrency and crash tests share to judge a run: seeded choices (print the seed,
// replay the run), the envelope check, and which final values a serial order of the
// acknowledged changes could leave.

export interface Random {
  /** A number in [0, 1). */
  next: () => number
  pick: <T>(items: readonly T[]) => T
  /** An integer in [lo, hi]. */
  int: (lo: number, hi: number) => number
}

/** A deterministic sequence of choices (mulberry32), so a failing run can be replayed. */
export function seededRandom (seed: number): Random {
  let state = seed
  const next = (): number => {
    state = (state + 0x6D2B79F5) | 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1))
  }
}

/** A change that took effect: on which register, to what, and when its call ran (ms, performance.now). */
export interface Effect { register: string, value: string, start: number, end: number }

/**
 * The values a register can end with under some serial order of the acknowledged
 * changes: those of changes that no other change began after (in real time) ended.
 */
export function possibleFinals (effects: readonly Effect[]): Set<string> {
  return new Set(effects.filter((x) => !effects.some((y) => y.start > x.end)).map((x) => x.value))
}

const ENVELOPE_KEYS = ['data', 'desc', 'message', 'message_cn', 'scode', 'stack']

export function isEnvelope (body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false
  const e = body as Record<string, unknown>
  return Object.keys(e).sort().join() === ENVELOPE_KEYS.join() && typeof e.scode === 'number' && e.stack === null &&
    (e.scode === 0) === (e.message === 'success')
}
