// The image digest at a time in the middle of the journal, at 100,000 and at 1,000,000
// journaled writes: reconstruction reads one index entry per block the volume has, so it
// should barely grow with the journal. Reports both and their ratio (target ≤ 2).
import { benchSimulator, seconds } from './sim-setup.js'

const BLOCKS = 4096 // a 16 MiB working set
const PER_CALL = 250
const STEP = 1_000_000n // 1 ms between calls

export async function run (): Promise<Record<string, number>> {
  const { sim, volumes } = await benchSimulator(1)
  const volume = volumes[0]!
  let state = 42 // xorshift32: a repeatable spread over the working set
  const nextBlock = (): number => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5
    return (state >>> 0) % BLOCKS
  }
  const times: bigint[] = []
  const journal = async (writes: number): Promise<void> => {
    while (times.length * PER_CALL < writes) {
      const batch = Array.from({ length: PER_CALL }, (_, i) => ({ offset: nextBlock() * 4096, length: 4096, fill: 1 + ((times.length + i) % 255) }))
      times.push(sim.write(volume, batch).time)
      sim.advance(STEP)
    }
  }
  const digestAtMiddle = (): number => {
    const at = times[Math.floor(times.length / 2)]!
    const samples: number[] = []
    for (let i = 0; i < 7; i++) {
      const t = process.hrtime.bigint()
      sim.image(volume, at)
      samples.push(seconds(t))
    }
    return samples.sort((a, b) => a - b)[3]!
  }
  await journal(100_000)
  const small = digestAtMiddle()
  await journal(1_000_000)
  const large = digestAtMiddle()
  await sim.close()
  return {
    blocks: BLOCKS,
    ms_at_100k: Number((small * 1000).toFixed(2)),
    ms_at_1m: Number((large * 1000).toFixed(2)),
    ratio: Number((large / small).toFixed(3))
  }
}
