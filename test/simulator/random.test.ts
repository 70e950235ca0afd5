// The simulator's seeded generator (simulator/random.ts) is mulberry32 exactly: each draw
// equals a reference computed here in BigInt arithmetic modulo 2^32, seed by seed.
import fc from 'fast-check'
import t from 'tap'
import { mulberry32 } from '../../simulator/random.js'

const M = 1n << 32n
const u32 = (x: bigint): bigint => ((x % M) + M) % M

/** mulberry32 written from its definition over unbounded integers, kept to 32 bits by hand. */
function reference (seed: number, count: number): number[] {
  let state = u32(BigInt(Math.trunc(seed)))
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    state = u32(state + 0x6D2B79F5n)
    let x = state
    x = u32((x ^ (x >> 15n)) * (x | 1n))
    x = x ^ u32(x + u32((x ^ (x >> 7n)) * (x | 61n)))
    out.push(Number(x ^ (x >> 14n)))
  }
  return out
}

const draws = (seed: number, count: number): number[] => {
  const next = mulberry32(seed)
  return Array.from({ length: count }, () => next())
}

t.test('each draw is mulberry32 of the seed, a uint32, the same for the same seed', async (t) => {
  const seed = Number(process.env.RANDOM_SEED ?? Math.floor(Math.random() * 2 ** 31))
  t.comment(`RANDOM_SEED=${seed}`)
  fc.assert(fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), (s) => {
    const got = draws(s, 8)
    if (JSON.stringify(got) !== JSON.stringify(reference(s, 8))) throw new Error(`seed ${s}: ${got.join(',')}`)
    if (!got.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)) throw new Error(`seed ${s}: not uint32`)
  }), { seed, numRuns: 200 })
  t.same(draws(12345, 20), draws(12345, 20), 'a seed replays')
})

t.test('seeds that agree modulo 2^32 give the same run; the first draws of seeds 0 and 1 differ', async (t) => {
  t.same(draws(-1, 5), draws(2 ** 32 - 1, 5))
  t.same(draws(7, 5), reference(7, 5))
  t.not(draws(0, 1)[0], draws(1, 1)[0])
})
