// MiB/s writing a 256 MiB random image with nbdcopy into the simulator's volume export with
// CDP on (every block stored, deduplicated and journaled), against `nbdkit memory`, same run;
// `ratio` with the simulator in its worker thread (as served), `in_process_ratio` in process.
import { againstNbdkit, bestOf, servedAndInProcess } from './nbd-setup.js'

export async function run (): Promise<Record<string, number>> {
  return await servedAndInProcess('write_mib_per_s', async (place) => await againstNbdkit(place, async ({ bench: { volumes }, exports, image, peer, nbdcopy }) => {
    const ours = exports.uri(exports.exportName(volumes[0]!, 'volume')!)
    return await bestOf(async () => await nbdcopy(image, ours), async () => await nbdcopy(image, peer))
  }))
}
