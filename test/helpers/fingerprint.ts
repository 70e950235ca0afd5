// A cheap summary of everything a request can change in a simulator: the clock, every
// cluster's CDP list (policy, state), each volume's live image, and for each CDP volume its
// info (segments, snapshots, view host) and its view's image. Two equal fingerprints: nothing observable changed.
import { printExact } from '../../src/json.js'
import type { Simulator, Topology } from '../../simulator/index.js'

export async function stateFingerprint (sim: Simulator, topology: Topology): Promise<string> {
  const parts: unknown[] = [sim.clock()]
  const withCdp = new Set<string>()
  for (const cluster of topology.clusters) {
    const list = await sim.list({ cluster_uuid: cluster.uuid, page_num: 0, page_size: 0 })
    list.List.forEach((item) => withCdp.add(item.volume_uuid))
    parts.push(list)
  }
  for (const volume of topology.volumes) {
    parts.push(sim.image(volume.uuid))
    if (!withCdp.has(volume.uuid)) continue
    const info = await sim.info({ cluster_uuid: volume.cluster, volume_uuid: volume.uuid })
    parts.push(info, info.host_uuid === '' ? null : sim.viewImage(volume.uuid))
  }
  return printExact(parts)
}
