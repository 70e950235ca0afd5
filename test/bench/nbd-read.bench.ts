// MiB/s reading a 256 MiB view (nbdcopy to null:) from the simulator's view export, against
// `nbdkit memory` holding the same bytes, same run. Target: ratio ≥ 0.5.
import { againstNbdkit, bestOf, nbdcopy } from './nbd-setup.js'

export async function run (): Promise<Record<string, number>> {
  const { subject, peer, ratio } = await againstNbdkit(async ({ bench: { sim, cluster, volumes }, exports, image, peer }) => {
    const volume = volumes[0]!
    const start = sim.clock().now
    await nbdcopy(image, exports.uri(exports.exportName(volume, 'volume')!))
    await nbdcopy(image, peer)
    sim.advance(1_000_000_000n)
    await sim.viewOn({ cluster_uuid: cluster, volume_uuid: volume }, { snapshot_name: `CDP-auto-${start / 1_000_000_000n}`, timestamp: sim.clock().now })
    const view = exports.uri(exports.exportName(volume, 'view')!)
    return await bestOf(async () => await nbdcopy(view, 'null:'), async () => await nbdcopy(peer, 'null:'))
  })
  return { read_mib_per_s: subject, nbdkit_mib_per_s: peer, ratio }
}
