// GET …/window of a volume with 100 journal segments and 10,000 auto snapshots, and of one with
// the same segments and ten times the journal (writes and snapshots): the answer is the same
// size, so its cost should barely grow (target growth ≤ 2). Each is served against a bare
// Fastify route answering the same bytes in the same run.
import { openSimulator, type Simulator } from '../../simulator/index.js'
import type { VolumeRef } from '../../src/backend/port.js'
import type { BenchResult } from './run.js'
import { againstBare, CDP } from './api-setup.js'
import { seconds } from './sim-setup.js'
import { DEMO, demoTopology } from '../helpers/demo.js'

const SEGMENTS = 100
const SNAPSHOTS = 10_000
const INTERVAL_SECONDS = 60n
const NS_PER_SECOND = 1_000_000_000n
/** One one-block write per auto snapshot: a segment of n blocks holds n snapshots. */
const BLOCK = 4096

interface WindowData { sim: Simulator, ref: VolumeRef, path: string }

/** cdp-1 of the demo cluster with `segments` full segments and `snapshots` snapshots spread over them. */
export async function windowData (segments: number, snapshots: number): Promise<WindowData> {
  const perSegment = snapshots / segments
  const topology = demoTopology
  const cluster = DEMO.cluster
  const volume = DEMO.cdp1
  const sim = openSimulator({
    db: ':memory:', topology, clock: { mode: 'manual' }, snapshotIntervalSeconds: Number(INTERVAL_SECONDS), segmentCapacity: BigInt(perSegment * BLOCK)
  })
  const ref = { cluster_uuid: cluster, volume_uuid: volume }
  await sim.edit({ cdp_priority: 'mid', reserve_capacity: BigInt(2 * snapshots * BLOCK), reserve_duration: 10n ** 9n }, [ref])
  await sim.enable([ref])
  for (let i = 0; i < snapshots; i++) {
    sim.write(volume, [{ offset: (i % 64) * BLOCK, length: BLOCK, fill: 1 + (i % 255) }])
    sim.advance(INTERVAL_SECONDS * NS_PER_SECOND)
  }
  return { sim, ref, path: `${CDP}/window?cluster_uuid=${cluster}&volume_uuid=${volume}` }
}

/** The median of 15 in-process window calls, in ms. */
async function windowMs (sim: Simulator, ref: VolumeRef): Promise<number> {
  const samples: number[] = []
  for (let i = 0; i < 15; i++) {
    const t = process.hrtime.bigint()
    await sim.window(ref)
    samples.push(seconds(t) * 1000)
  }
  return Number((samples.sort((a, b) => a - b)[7] as number).toFixed(3))
}

export async function run (): Promise<BenchResult> {
  const small = await windowData(SEGMENTS, SNAPSHOTS)
  const facts = await small.sim.window(small.ref)
  const smallMs = await windowMs(small.sim, small.ref)
  const served = await againstBare(small.sim, small.path)
  const large = await windowData(SEGMENTS, 10 * SNAPSHOTS)
  const largeMs = await windowMs(large.sim, large.ref)
  const servedLarge = await againstBare(large.sim, large.path)
  return {
    segments: SEGMENTS,
    ranges: facts.ranges.length,
    snapshots: SNAPSHOTS,
    ...served,
    window_ms: smallMs,
    snapshots_10x: 10 * SNAPSHOTS,
    rps_10x: servedLarge.rps,
    ratio_10x: servedLarge.ratio,
    window_ms_10x: largeMs,
    growth: Number((largeMs / smallMs).toFixed(3))
  }
}
