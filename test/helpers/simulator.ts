// What the simulator's tests share: the demo topology's ids, a simulator per test on its own
// in-memory database with a manual clock, and the small steps every scenario takes.
import type { Test } from 'tap'
import { fileURLToPath } from 'node:url'
import type { BatchOutcome, CdpPolicy, PointInTime, VolumeRef } from '../../src/backend/port.js'
import { type Simulator, type SimulatorOptions, loadTopology, openSimulator } from '../../simulator/index.js'

export const demoTopology = loadTopology(fileURLToPath(new URL('../../fixtures/demo-topology.json', import.meta.url)))

export const CLUSTER = 'ee3ae4de-811a-45b5-b339-f7ad45872c33'
export const KEN = '257d6354-be6d-45ec-b65d-e961d6a1274b'
export const LIN = '8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f'
export const KEN_NAMESPACE = '6a2cef30-d8f8-4268-aad0-172834d95768'
export const LIN_NAMESPACE = '0d6f3b8e-2c1a-4f5e-9b7d-3e8a1c2b4d60'
export const HOST_237 = '48459090-6ced-4476-a6b4-2880b1e21d5a'
export const HOST_238 = '7b2e9c41-5d3a-4e8f-a1b6-c9d0e2f3a4b5'
export const KEN_VM = '25ebed59-522a-4779-9f38-b483b551e7fa'
export const KEN_VM_VOLUME = 'aae751ba-8b97-4259-9579-c40cbb806d9d'
export const VOL_1 = 'ff3ac375-6acd-433e-8b7e-85ce528b85ad'
export const CDP_1 = 'ddc4adf3-830e-4ec3-b1dc-85571aea15c7'
export const LIN_VM_VOLUME = '5e8d1a2b-3c4f-4d6e-8a9b-0c1d2e3f4a5b'
export const LIN_DATA = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d'

export const NS_PER_S = 1_000_000_000n
export const KIB4 = 4096

/** A simulator of the demo cluster on a fresh in-memory database and a manual clock. */
export function openDemo (t: Test, options: Partial<SimulatorOptions> = {}): Simulator {
  const sim = openSimulator({ db: ':memory:', topology: demoTopology, clock: { mode: 'manual' }, ...options })
  t.teardown(() => sim.close())
  return sim
}

/** How a request names one of the demo cluster's volumes. */
export function ref (volumeUuid: string, tenant?: string): VolumeRef {
  return tenant === undefined
    ? { cluster_uuid: CLUSTER, volume_uuid: volumeUuid }
    : { cluster_uuid: CLUSTER, tenant, volume_uuid: volumeUuid }
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
  return sim.advance(BigInt(seconds) * NS_PER_S)
}

/** Writes one block of a repeated byte at the clock's now. */
export function writeBlock (sim: Simulator, volumeUuid: string, block: number, fill: number): bigint {
  return sim.write(volumeUuid, [{ offset: block * KIB4, length: KIB4, fill }]).time
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
