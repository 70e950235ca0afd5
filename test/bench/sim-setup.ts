// A one-cluster topology with `volumes` volumes for the simulator benchmarks.
import { randomUUID } from 'node:crypto'
import type { CdpBackend } from '../../src/backend/port.js'
import { openSimulator, type Simulator, type SimulatorOptions, type Topology } from '../../simulator/index.js'

export function benchTopology (volumes: number, volumeSize = 1024 ** 3): Topology {
  const cluster = randomUUID()
  const namespace = randomUUID()
  const tenant = randomUUID()
  return {
    clusters: [{
      uuid: cluster,
      name: 'bench',
      mode: '',
      namespaces: [{ uuid: namespace }],
      hosts: [{ uuid: randomUUID(), maddr: '127.0.0.1', cdp_disks: [{ path: '/dev/sdz', capacity: 2 ** 62 }] }]
    }],
    tenants: [{ uuid: tenant, name: 'bench' }],
    vms: [],
    volumes: Array.from({ length: volumes }, (_, i) => ({
      uuid: randomUUID(), name: `vol-${String(i).padStart(6, '0')}`, size: volumeSize, cluster, namespace, tenant
    }))
  }
}

export interface BenchSim {
  sim: Simulator
  cluster: string
  volumes: string[]
}

/** The options of a manual-clock simulator over `topology` with generous retention. */
export function benchOptions (topology: Topology, snapshotIntervalSeconds = 600): SimulatorOptions {
  return { db: ':memory:', topology, clock: { mode: 'manual' }, snapshotIntervalSeconds, segmentCapacity: 2n ** 40n }
}

/** Turns CDP on for every volume of `topology`, with generous retention. */
export async function enableAll (sim: Pick<CdpBackend, 'edit' | 'enable'>, topology: Topology): Promise<{ cluster: string, volumes: string[] }> {
  const cluster = topology.clusters[0]!.uuid
  const refs = topology.volumes.map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid }))
  await sim.edit({ cdp_priority: 'mid', reserve_capacity: 2n ** 40n, reserve_duration: 10n ** 9n }, refs)
  await sim.enable(refs)
  return { cluster, volumes: topology.volumes.map((v) => v.uuid) }
}

/** A manual-clock simulator with CDP on for every volume, generous retention. */
export async function benchSimulator (volumes: number, snapshotIntervalSeconds = 600, volumeSize = 1024 ** 3): Promise<BenchSim> {
  const topology = benchTopology(volumes, volumeSize)
  const sim = openSimulator(benchOptions(topology, snapshotIntervalSeconds))
  return { sim, ...await enableAll(sim, topology) }
}

export function seconds (start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9
}
