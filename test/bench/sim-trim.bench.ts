// Retention's cost: trimming the oldest history of a 100,000- and a 1,000,000-write journal
// (a snapshot every second, 100 writes a second). Trimming the same 1,000 writes at both
// sizes should cost about the same (target ≤ 2× for 10× the journal); trimming 1% costs in
// proportion to that 1%, so it is reported per trimmed write too.
import { benchSimulator, seconds } from './sim-setup.js'

const PER_SECOND = 100
const NS = 1_000_000_000n

async function trimCosts (writes: number): Promise<{ fixed: number, onePercent: number }> {
  const { sim, cluster, volumes } = await benchSimulator(1, 1)
  const volume = volumes[0]!
  const ref = { cluster_uuid: cluster, volume_uuid: volume }
  const secondsOfHistory = writes / PER_SECOND
  for (let s = 0; s < secondsOfHistory; s++) {
    sim.write(volume, Array.from({ length: PER_SECOND }, (_, i) => ({ offset: ((s * PER_SECOND + i) % 4096) * 4096, length: 4096, fill: 1 + (s % 255) })))
    sim.advance(NS)
  }
  // Shorten reserve_duration so that retention drops `drop` more seconds of history.
  let kept = BigInt(secondsOfHistory) + 1n
  const trim = async (drop: number): Promise<number> => {
    kept -= BigInt(drop)
    const t = process.hrtime.bigint()
    await sim.edit({ cdp_priority: 'mid', reserve_capacity: 2n ** 40n, reserve_duration: kept }, [ref])
    return seconds(t)
  }
  const fixed = await trim(1_000 / PER_SECOND)
  const onePercent = await trim(writes / 100 / PER_SECOND)
  await sim.close()
  return { fixed, onePercent }
}

export async function run (): Promise<Record<string, number>> {
  const small = await trimCosts(100_000)
  const large = await trimCosts(1_000_000)
  const ms = (s: number): number => Number((s * 1000).toFixed(2))
  return {
    ms_trim_1000_at_100k: ms(small.fixed),
    ms_trim_1000_at_1m: ms(large.fixed),
    ratio: Number((large.fixed / small.fixed).toFixed(3)),
    ms_trim_1pct_at_100k: ms(small.onePercent),
    ms_trim_1pct_at_1m: ms(large.onePercent),
    us_per_trimmed_write_at_100k: Number((small.onePercent / 1_000 * 1e6).toFixed(2)),
    us_per_trimmed_write_at_1m: Number((large.onePercent / 10_000 * 1e6).toFixed(2))
  }
}
