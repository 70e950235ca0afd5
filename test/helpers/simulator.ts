// What the simulator's tests share: the demo topology's ids, a simulator per test on its own
// in-memory database with a manual clock, and the small steps every scenario takes.
import type { Test } from 'tap'
import { fileURLToPath } from 'node:url'
import { type BatchOutcome, type CdpPolicy, NS_PER_SECOND, type PointInTime, type VolumeRef } from '../../src/backend/port.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { type Simulator, type SimulatorOptions, loadTopology, openSimulator } from '../../simulator/index.js'
import { DEMO } from './app.js'

export const demoTopology = loadTopology(fileURLToPath(new URL('../../fixtures/demo-topology.json', import.meta.url)))

// The demo's ids under the names the simulator's tests use (one source: DEMO).
export const CLUSTER = DEMO.cluster
export const KEN = DEMO.ken
export const LIN = DEMO.lin
export const KEN_NAMESPACE = DEMO.namespace
export const LIN_NAMESPACE = DEMO.linNamespace
export const HOST_237 = DEMO.host1
export const HOST_238 = DEMO.host2
export const KEN_VM = DEMO.kenVm
export const KEN_VM_VOLUME = DEMO.kenVolume
export const VOL_1 = DEMO.vol1
export const CDP_1 = DEMO.cdp1
export const LIN_VM_VOLUME = DEMO.linVolume
export const LIN_DATA = DEMO.linData

export const NS_PER_S = NS_PER_SECOND
export const KIB4 = BLOCK_SIZE

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
