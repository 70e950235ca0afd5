// MiB/s writing a 256 MiB random image with nbdcopy into the simulator's volume export with
// CDP on (every block stored, deduplicated and journaled), against `nbdkit memory`, same run.
import { againstNbdkit, bestOf, nbdcopy } from './nbd-setup.js'

export async function run (): Promise<Record<string, number>> {
  const { subject, peer, ratio } = await againstNbdkit(async ({ bench: { volumes }, exports, image, peer }) => {
    const ours = exports.uri(exports.exportName(volumes[0]!, 'volume')!)
    return await bestOf(async () => await nbdcopy(image, ours), async () => await nbdcopy(image, peer))
  })
  return { write_mib_per_s: subject, nbdkit_mib_per_s: peer, ratio }
}
