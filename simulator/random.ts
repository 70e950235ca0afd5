// The simulator's one seeded generator: the same seed gives the same run (workload writes,
// fault rule hits).

/** mulberry32: a small, fast generator of uint32s, plenty for test writes and fault draws. */
export function mulberry32 (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6D2B79F5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}
