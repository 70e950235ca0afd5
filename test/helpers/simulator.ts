// What the simulator's tests share: a simulator of the demo topology per test on its own
// in-memory database with a manual clock, and the small steps every scenario takes.
import type { Test } from 'tap'
import { type BatchOutcome, type CdpPolicy, NS_PER_SECOND, type PointInTime, type VolumeRef } from '../../src/backend/port.js'
import type { CdpEvent, EventKind } from '../../src/schemas/events.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { type Simulator, type SimulatorOptions, openSimulator } from '../../simulator/index.js'
import { DEMO, demoTopology } from './demo.js'

/** A simulator of the demo cluster on a fresh in-memory database and a manual clock. */
export function openDemo (t: Test, options: Partial<SimulatorOptions> = {}): Simulator {
  const sim = openSimulator({ db: ':memory:', topology: demoTopology, clock: { mode: 'manual' }, ...options })
  t.teardown(() => sim.close())
  return sim
}

/** A demo simulator with CDP on for cdp-1 and the clock a second past its enable: where most rule tests start. */
export async function openCdp1 (t: Test, options: Partial<SimulatorOptions> = {}): Promise<Simulator> {
  const sim = openDemo(t, options)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
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

/** What `fn` threw (or rejected with); NOTHING when it succeeded. */
const NOTHING = Symbol('nothing thrown')
async function thrownBy (fn: () => unknown): Promise<unknown> {
  try {
    await fn()
  } catch (err) {
    return err
  }
  return NOTHING
}

/** The catalogue name of what `fn` threw (or rejected with); 'no error' when it succeeded. */
export async function failure (fn: () => unknown): Promise<string> {
  const err = await thrownBy(fn)
  return err === NOTHING ? 'no error' : (err as { code?: string }).code ?? String(err)
}

/** The desc of the refusal `fn` threw (or rejected with); 'no error' when it succeeded. */
export async function refusalDesc (fn: () => unknown): Promise<string> {
  const err = await thrownBy(fn)
  return err === NOTHING ? 'no error' : (err as { desc?: string }).desc ?? String(err)
}

/** The volume's kept events of the given kinds, oldest first. */
export async function eventsOfKind (sim: Simulator, volumeUuid: string, ...kinds: EventKind[]): Promise<CdpEvent[]> {
  const { events } = await sim.events(ref(volumeUuid), { page_num: 0, page_size: 0 })
  return events.filter((e) => kinds.includes(e.kind))
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
