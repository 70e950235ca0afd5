// MiB/s reading a 256 MiB view (nbdcopy to null:) from the simulator's view export, against
// `nbdkit memory` holding the same bytes, same run; `ratio` with the simulator in its worker
// thread (as npm start serves it), `in_process_ratio` in process. Target: ratio ≥ 0.5.
// A view of a recent point reads most blocks as they are live (none written since); the
// `rewritten_` figures are the other end: the same point once every block has been written
// again after it, so each block's content is a journal lookup.
import { againstNbdkit, bestOf, servedAndInProcess } from './nbd-setup.js'

async function viewRead (rewritten: boolean): Promise<Record<string, number>> {
  return await servedAndInProcess('read_mib_per_s', async (place) => await againstNbdkit(place, async ({ bench: { sim, cluster, volumes }, exports, image, peer, nbdcopy }) => {
    const ref = { cluster_uuid: cluster, volume_uuid: volumes[0]! }
    const start = (await sim.clock()).now
    const volume = exports.uri(exports.exportName(ref.volume_uuid, 'volume')!)
    await nbdcopy(image, volume)
    await nbdcopy(image, peer)
    await sim.advance(1_000_000_000n)
    const point = { snapshot_name: `CDP-auto-${start / 1_000_000_000n}`, timestamp: (await sim.clock()).now }
    if (rewritten) {
      await sim.advance(1_000_000_000n)
      await nbdcopy(image, volume)
    }
    await sim.viewOn(ref, point)
    const view = exports.uri(exports.exportName(ref.volume_uuid, 'view')!)
    return await bestOf(async () => await nbdcopy(view, 'null:'), async () => await nbdcopy(peer, 'null:'))
  }))
}

export async function run (): Promise<Record<string, number>> {
  const recent = await viewRead(false)
  const rewritten = await viewRead(true)
  return { ...recent, ...Object.fromEntries(Object.entries(rewritten).map(([key, value]) => [`rewritten_${key}`, value])) }
}
