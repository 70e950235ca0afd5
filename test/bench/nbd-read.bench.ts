// MiB/s reading a 256 MiB view (nbdcopy to null:) from the simulator's view export, against
// `nbdkit memory` holding the same bytes, same run; `ratio` with the simulator in its worker
// thread (as npm start serves it), `in_process_ratio` in process. Target: ratio ≥ 0.5.
import { againstNbdkit, bestOf, servedAndInProcess } from './nbd-setup.js'

export async function run (): Promise<Record<string, number>> {
  return await servedAndInProcess('read_mib_per_s', async (place) => await againstNbdkit(place, async ({ bench: { sim, cluster, volumes }, exports, image, peer, nbdcopy }) => {
    const volume = volumes[0]!
    const start = (await sim.clock()).now
    await nbdcopy(image, exports.uri(exports.exportName(volume, 'volume')!))
    await nbdcopy(image, peer)
    await sim.advance(1_000_000_000n)
    await sim.viewOn({ cluster_uuid: cluster, volume_uuid: volume }, { snapshot_name: `CDP-auto-${start / 1_000_000_000n}`, timestamp: (await sim.clock()).now })
    const view = exports.uri(exports.exportName(volume, 'view')!)
    return await bestOf(async () => await nbdcopy(view, 'null:'), async () => await nbdcopy(peer, 'null:'))
  }))
}
