// MiB/s writing a 256 MiB random image with nbdcopy into the simulator's volume export with
// CDP on (every block stored, deduplicated and journaled), against `nbdkit memory`, same run.
import { serveVolumeExports } from '../../simulator/nbd/volume-exports.js'
import { bestOf, IMAGE_BYTES, nbdcopy, nbdkitMemory, randomImage } from './nbd-setup.js'
import { benchSimulator } from './sim-setup.js'

export async function run (): Promise<Record<string, number>> {
  const image = await randomImage()
  const { sim, volumes } = await benchSimulator(1, 600, IMAGE_BYTES)
  const exports = await serveVolumeExports(sim, { port: 0, secretNames: false })
  const peer = await nbdkitMemory()
  const ours = exports.uri(exports.exportName(volumes[0]!, 'volume')!)
  try {
    const { subject, peer: baseline } = await bestOf(async () => await nbdcopy(image.path, ours), async () => await nbdcopy(image.path, peer.uri))
    return { write_mib_per_s: subject, nbdkit_mib_per_s: baseline, ratio: Number((subject / baseline).toFixed(3)) }
  } finally {
    peer.close()
    await exports.server.close()
    await sim.close()
    await image.remove()
  }
}
