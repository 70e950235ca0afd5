// MiB/s reading a 256 MiB view (nbdcopy to null:) from the simulator's view export, against
// `nbdkit memory` holding the same bytes, same run. Target: ratio ≥ 0.5.
import { serveVolumeExports } from '../../simulator/nbd/volume-exports.js'
import { bestOf, IMAGE_BYTES, nbdcopy, nbdkitMemory, randomImage } from './nbd-setup.js'
import { benchSimulator } from './sim-setup.js'

export async function run (): Promise<Record<string, number>> {
  const image = await randomImage()
  const { sim, cluster, volumes } = await benchSimulator(1, 600, IMAGE_BYTES)
  const volume = volumes[0]!
  const start = sim.clock().now
  const exports = await serveVolumeExports(sim, { port: 0, secretNames: false })
  const peer = await nbdkitMemory()
  try {
    await nbdcopy(image.path, exports.uri(exports.exportName(volume, 'volume')!))
    await nbdcopy(image.path, peer.uri)
    sim.advance(1_000_000_000n)
    await sim.viewOn({ cluster_uuid: cluster, volume_uuid: volume }, { snapshot_name: `CDP-auto-${start / 1_000_000_000n}`, timestamp: sim.clock().now })
    const view = exports.uri(exports.exportName(volume, 'view')!)
    const { subject, peer: baseline } = await bestOf(async () => await nbdcopy(view, 'null:'), async () => await nbdcopy(peer.uri, 'null:'))
    return { read_mib_per_s: subject, nbdkit_mib_per_s: baseline, ratio: Number((subject / baseline).toFixed(3)) }
  } finally {
    peer.close()
    await exports.server.close()
    await sim.close()
    await image.remove()
  }
}
