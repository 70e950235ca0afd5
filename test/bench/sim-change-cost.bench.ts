// Cost in proportion to change: a one-block revert, a view on and an enable after one block
// written while off, on a volume with 16,384 and with 262,144 written blocks (64 MiB, 1 GiB).
// Each should cost the change, not the volume: `ratio_…` is the large case over the small
// (target ≤ 1.5). Also capacity retention with a small reserve (per write, at 2,000 and
// 20,000 writes) and the clean of a 1,000-block segment behind a small and a large journal.
import { NS_PER_SECOND, type PointInTime, type VolumeRef } from '../../src/backend/port.js'
import type { Simulator } from '../../simulator/index.js'
import { benchSimulator, seconds } from './sim-setup.js'

const BLOCK = 4096
const PER_CALL = 16_384
// Sub-millisecond calls on a shared machine: the median of many.
const ROUNDS = 21

/** The point a client names for `time`: the newest snapshot at or before it in the active segment. */
async function pointAt (sim: Simulator, ref: VolumeRef, time: bigint): Promise<PointInTime> {
  const segment = (await sim.info(ref)).cdp_info.at(-1)
  const snapshot = segment?.snaps.filter((s) => s.time <= time).at(-1)
  if (snapshot === undefined) throw new Error(`no snapshot before ${time}`)
  return { snapshot_name: snapshot.name, timestamp: time }
}

const median = (samples: number[]): number => samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)] as number
const ms = (s: number): number => Number((s * 1000).toFixed(2))

async function changeCosts (blocks: number): Promise<{ revert: number, viewOn: number, enable: number }> {
  const { sim, cluster, volumes } = await benchSimulator(1)
  const volume = volumes[0] as string
  const ref = { cluster_uuid: cluster, volume_uuid: volume }
  for (let first = 0; first < blocks; first += PER_CALL) {
    sim.write(volume, [{ offset: first * BLOCK, length: PER_CALL * BLOCK, fill: 1 + (first / PER_CALL) % 255 }])
  }
  sim.advance(NS_PER_SECOND)
  const costs = { revert: [] as number[], viewOn: [] as number[], enable: [] as number[] }
  for (let round = 0; round < ROUNDS; round++) {
    const point = await pointAt(sim, ref, sim.clock().now)
    sim.write(volume, [{ offset: round * BLOCK, length: BLOCK, fill: 200 + round }])
    sim.advance(1_000_000n)
    let t = process.hrtime.bigint()
    await sim.revert(ref, point)
    costs.revert.push(seconds(t))

    const viewPoint = await pointAt(sim, ref, sim.clock().now)
    t = process.hrtime.bigint()
    await sim.viewOn(ref, viewPoint)
    costs.viewOn.push(seconds(t))
    await sim.viewOff(ref)

    await sim.disable([ref])
    sim.write(volume, [{ offset: round * BLOCK, length: BLOCK, fill: 100 + round }])
    sim.advance(NS_PER_SECOND)
    t = process.hrtime.bigint()
    await sim.enable([ref])
    costs.enable.push(seconds(t))
    sim.advance(NS_PER_SECOND)
  }
  await sim.close()
  return { revert: median(costs.revert), viewOn: median(costs.viewOn), enable: median(costs.enable) }
}

/** Seconds per single-block write with reserve_capacity of 64 blocks: every write folds. */
async function smallReserveWrite (writes: number): Promise<number> {
  const { sim, cluster, volumes } = await benchSimulator(1, 1)
  const volume = volumes[0] as string
  await sim.edit({ cdp_priority: 'mid', reserve_capacity: 64n * BigInt(BLOCK), reserve_duration: 3600n }, [{ cluster_uuid: cluster, volume_uuid: volume }])
  const t = process.hrtime.bigint()
  for (let i = 0; i < writes; i++) {
    sim.write(volume, [{ offset: (i % 4096) * BLOCK, length: BLOCK, fill: 1 + (i % 255) }])
    sim.advance(1_000_000n)
  }
  const perWrite = seconds(t) / writes
  await sim.close()
  return perWrite
}

/** The clean of a closed 1,000-block segment between a journal of `behind` blocks and the active segment (median of ROUNDS). */
async function cleanOneSegment (behind: number): Promise<number> {
  const { sim, cluster, volumes } = await benchSimulator(1)
  const volume = volumes[0] as string
  const ref = { cluster_uuid: cluster, volume_uuid: volume }
  for (let first = 0; first < behind; first += PER_CALL) {
    sim.write(volume, [{ offset: first * BLOCK, length: Math.min(PER_CALL, behind - first) * BLOCK, fill: 3 }])
  }
  const cycle = async (): Promise<void> => {
    await sim.disable([ref])
    sim.advance(NS_PER_SECOND)
    await sim.enable([ref])
    sim.advance(NS_PER_SECOND)
  }
  const seqs: bigint[] = []
  for (let round = 0; round < ROUNDS; round++) {
    await cycle()
    seqs.push((await sim.info(ref)).cdp_info.at(-1)?.seq as bigint)
    sim.write(volume, [{ offset: 0, length: 1_000 * BLOCK, fill: 4 + round }])
  }
  await cycle()
  const costs: number[] = []
  for (const seq of seqs) {
    const t = process.hrtime.bigint()
    await sim.clean(ref, seq)
    costs.push(seconds(t))
  }
  await sim.close()
  return median(costs)
}

export async function run (): Promise<Record<string, number>> {
  const small = await changeCosts(16_384)
  const large = await changeCosts(262_144)
  await smallReserveWrite(2_000) // warms the write path up: the first thousands of calls run slower
  const fewWrites = await smallReserveWrite(2_000)
  const manyWrites = await smallReserveWrite(20_000)
  const cleanSmall = await cleanOneSegment(16_384)
  const cleanLarge = await cleanOneSegment(262_144)
  const ratio = (a: number, b: number): number => Number((a / b).toFixed(3))
  return {
    ms_revert_16k: ms(small.revert),
    ms_revert_256k: ms(large.revert),
    ratio_revert: ratio(large.revert, small.revert),
    ms_view_on_16k: ms(small.viewOn),
    ms_view_on_256k: ms(large.viewOn),
    ratio_view_on: ratio(large.viewOn, small.viewOn),
    ms_enable_16k: ms(small.enable),
    ms_enable_256k: ms(large.enable),
    ratio_enable: ratio(large.enable, small.enable),
    us_per_write_small_reserve_2k: Number((fewWrites * 1e6).toFixed(1)),
    us_per_write_small_reserve_20k: Number((manyWrites * 1e6).toFixed(1)),
    ratio_small_reserve: ratio(manyWrites, fewWrites),
    ms_clean_segment_16k: ms(cleanSmall),
    ms_clean_segment_256k: ms(cleanLarge),
    ratio_clean_segment: ratio(cleanLarge, cleanSmall)
  }
}
