// What the simulator's tests share: a simulator of the demo topology per test on its own
// in-memory database with a manual clock, and the small steps every scenario takes.
import type { Test } from 'tap'
import { type BatchOutcome, type CdpPolicy, NS_PER_SECOND, type PointInTime, type VolumeRef } from '../../src/backend/port.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { type Simulator, type SimulatorOptions, openSimulator } from '../../simulator/index.js'
import { DEMO, demoTopology } from './demo.js'

/** A simulator of the demo cluster on a fresh in-memory database and a manual clock. */
export function openDemo (t: Test, options: Partial<SimulatorOptions> = {}): Simulator {
  const sim = openSimulator({ db: ':memory:', topology: demoTopology, clock: { mode: 'manual' }, ...options })
  t.teardown(() => sim.close())
  return sim
}

/** How a request names one of the demo cluster's volumes. */
export function ref (volumeUuid: string, tenant?: string): VolumeRef {
  return tenant === undefined
    ? { cluster_uuid: DEMO.cluster, volume_uuid: volumeUuid }
    : { cluster_uuid: DEMO.cluster, tenant, volume_uuid: volumeUuid }
}

export function policy (reserveCapacity: bigint, reserveDuration: bigint, priority: CdpPolicy['cdp_priority'] = 'mid'): CdpPolicy {
  return { cdp_priority: priority, reserve_capacity: reserveCapacity, reserve_duration: reserveDuration }
}

/** The scode names a batch call reported, one per volume ('ok' for a success). */
export function outcomes (results: BatchOutcome[]): string[] {
  return results.map((r) => r.ok ? 'ok' : r.error.code)
}

/** The catalogue name of what `fn` threw (or rejected with); 'no error' when it succeeded. */
export async function failure (fn: () => unknown): Promise<string> {
  try {
    await fn()
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
  return 'no error'
}

export function advanceSeconds (sim: Simulator, seconds: number): bigint {
  return sim.advance(BigInt(seconds) * NS_PER_SECOND)
}

/** Writes one block of a repeated byte at the clock's now. */
export function writeBlock (sim: Simulator, volumeUuid: string, block: number, fill: number): bigint {
  return sim.write(volumeUuid, [{ offset: block * BLOCK_SIZE, length: BLOCK_SIZE, fill }]).time
}

/**
 * The (snapshot, timestamp) pair that names `time`, as a client reads it from info: the
 * newest snapshot at or before it in the segment whose range holds it (`seq`'s, where two
 * ranges meet at that time).
 */
export async function pointAt (sim: Simulator, volume: VolumeRef, time: bigint, seq?: bigint): Promise<PointInTime> {
  const range = sim.recoverable(volume.volume_uuid).ranges.find((r) => r.from <= time && time <= r.to && (seq === undefined || r.seq === seq))
  if (range === undefined) throw new Error(`${time} is not recoverable`)
  const info = await sim.info(volume)
  const snaps = info.cdp_info.find((s) => s.seq === range.seq)?.snaps ?? []
  const base = snaps.filter((s) => s.time <= time).at(-1)
  if (base === undefined) throw new Error(`no snapshot at or before ${time} in usd_seq ${range.seq}`)
  return { snapshot_name: base.name, timestamp: time }
}
