// The app the request fuzzers run against: the demo topology with CDP journal history on
// cdp-1 and ken's volume (so view, revert and clean have points and segments to hit), its
// endpoints as the OpenAPI document lists them, and value pools drawn from that state.
// Fuzzed requests that succeed may wipe the history (clean, short retention): it is
// written again before the next case when cdp-1 has nothing left to recover.
import fc from 'fast-check'
import type { Test } from 'tap'
import { buildApp } from '../../../src/app.js'
import { harnessAppOptions, loadTopology, openSimulator, type Topology } from '../../../simulator/index.js'
import { FaultRules } from '../../../simulator/faults.js'
import { isCdpError } from '../../../src/errors.js'
import { DEMO, DEMO_TOPOLOGY, SECOND, volume } from '../app.js'
import { stateFingerprint } from '../fingerprint.js'
import { type Endpoint, type OpenApiDocument, endpointsOf } from './requests.js'
import { type FuzzOptions, type FuzzTally, fuzzEndpoint } from './property.js'
import type { Pools } from './values.js'

export const topology: Topology = loadTopology(DEMO_TOPOLOGY)
const policy = { cdp_priority: 'mid' as const, reserve_capacity: 1n << 30n, reserve_duration: 3600n }
const historyRefs = [volume(DEMO.cdp1), volume(DEMO.kenVolume)]

/** Every id the topology knows: the generators pick from these most of the time. */
const topologyUuids = [
  ...topology.clusters.flatMap((c) => [c.uuid, ...c.namespaces.map((n) => n.uuid), ...c.hosts.map((h) => h.uuid)]),
  ...topology.tenants.map((t) => t.uuid),
  ...topology.vms.map((v) => v.uuid),
  ...topology.volumes.map((v) => v.uuid)
]

/** One of a pool that the seeding refills, picked when the case is generated. */
function fromPool<T> (pool: () => T[]): fc.Arbitrary<T> {
  return fc.nat().map((i) => {
    const items = pool()
    return items[i % items.length] as T
  })
}

export async function openFuzzApp (t: Test) {
  // The harness calls beside the control API, as `npm start` mounts them; their fault rules
  // stand in front of nothing, so a fuzzed rule never fails a later case.
  const sim = openSimulator({ db: ':memory:', topology, clock: { mode: 'manual' } })
  const faults = new FaultRules()
  const app = await buildApp(harnessAppOptions({ simulator: sim, faults, backend: sim }))
  t.teardown(() => app.close())
  const history = { snapshots: [] as string[], times: [] as bigint[] }

  /**
   * CDP on cdp-1 (two segments: one closed, so a segment clean can succeed) and ken's
   * volume, a few writes seconds apart, vol-1 with CDP off; the pools of names and times from it.
   */
  async function seed (): Promise<void> {
    await sim.edit(policy, [...historyRefs, volume(DEMO.vol1)])
    await sim.enable(historyRefs)
    const times: bigint[] = []
    for (let i = 0; i < 4; i++) {
      if (i === 2) {
        await sim.disable([volume(DEMO.cdp1)])
        await sim.enable([volume(DEMO.cdp1)])
      }
      times.push(sim.write(DEMO.cdp1, [{ offset: i * 4096, length: 4096, fill: i + 1 }]).time)
      sim.write(DEMO.kenVolume, [{ offset: 0, length: 8192, fill: i + 7 }])
      sim.advance(7n * SECOND)
    }
    const snaps = (await sim.info(volume(DEMO.cdp1))).cdp_info.flatMap((s) => s.snaps)
    history.snapshots = snaps.map((s) => s.name)
    history.times = [...times, ...snaps.map((s) => s.time)]
  }

  /** Seeds again when cdp-1 has no recoverable history left; says whether it did. */
  async function reseedIfSpent (): Promise<boolean> {
    try {
      if (sim.recoverable(DEMO.cdp1).ranges.some((r) => r.from < r.to)) return false
    } catch (err) {
      if (!isCdpError(err)) throw err
    }
    await seed()
    return true
  }

  await seed()
  const realRefs = topology.volumes.map((v) => ({ cluster_uuid: v.cluster, volume_uuid: v.uuid }))
  const pools: Pools = {
    uuids: topologyUuids,
    hints: {
      cluster_uuid: fc.constantFrom(...topology.clusters.map((c) => c.uuid)),
      volume_uuid: fc.constantFrom(...topology.volumes.map((v) => v.uuid)),
      tenant: fc.constantFrom(...topology.tenants.map((t) => t.uuid)),
      volume_name: fc.constantFrom(...topology.volumes.map((v) => v.name)),
      volumes: fc.array(fc.constantFrom(...realRefs), { minLength: 1, maxLength: 3 }),
      snapshot_name: fromPool(() => history.snapshots),
      timestamp: fc.tuple(fromPool(() => history.times), fc.boolean()).map(([time, asText]) => asText ? time.toString() : time),
      at: fromPool(() => history.times).map(String),
      usd_seq: fc.constantFrom(0, 1, 2, '1'),
      reserve_capacity: fc.constantFrom(1 << 30, '2147483648', 4096 * 64),
      reserve_duration: fc.constantFrom(3600, '86400', 1),
      filter_name: fc.constantFrom('vol', 'CDP', 'ken', '1', '%', '_'),
      page_num: fc.nat(3),
      page_size: fc.nat(3),
      offset: fc.nat(64).map((n) => n * 4096),
      length: fc.integer({ min: 1, max: 16 }).map((n) => n * 4096),
      data: fc.integer({ min: 0, max: 255 }).map((b) => Buffer.alloc(4096, b).toString('base64')),
      seconds: fc.nat(30),
      // a CDP disk's path (POST /sim/v1/hosts/{host_uuid}/disks): the demo's two, and one no host has
      path: fc.constantFrom('/dev/sdd', '/dev/sde', '/dev/sdz'),
      id: fc.constantFrom(...topologyUuids),
      nanoseconds: fc.nat(10 ** 10)
    }
  }
  const doc = (await app.inject('/docs/json')).json<OpenApiDocument>()
  return {
    app,
    endpoints: (prefix: string): Endpoint[] => endpointsOf(doc, prefix),
    fuzz: (endpoint: Endpoint, numRuns: number, options?: FuzzOptions): Promise<FuzzTally> =>
      fuzzEndpoint({ app, fingerprint: async () => `${await stateFingerprint(sim, topology)}${JSON.stringify(faults.list())}`, prepare: reseedIfSpent }, endpoint, pools, numRuns, options)
  }
}
