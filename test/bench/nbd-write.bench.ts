// MiB/s writing a 256 MiB random image with nbdcopy into this server's memory device,
// against `nbdkit memory`, same run.
import { ExportTable } from '../../simulator/nbd/exports.js'
import { MemoryDevice } from '../../simulator/nbd/memory-device.js'
import { listenNbd } from '../../simulator/nbd/server.js'
import { bestOf, IMAGE_BYTES, nbdcopy, nbdkitMemory, randomImage } from './nbd-setup.js'

export async function run (): Promise<Record<string, number>> {
  const image = await randomImage()
  const exports = new ExportTable(false)
  exports.publish('image', new MemoryDevice(IMAGE_BYTES))
  const server = await listenNbd(exports, 0)
  const peer = await nbdkitMemory()
  const ours = `nbd://127.0.0.1:${server.port}/image`
  try {
    const { subject, peer: baseline } = await bestOf(async () => await nbdcopy(image.path, ours), async () => await nbdcopy(image.path, peer.uri))
    return { write_mib_per_s: subject, nbdkit_mib_per_s: baseline, ratio: Number((subject / baseline).toFixed(3)) }
  } finally {
    peer.close()
    await server.close()
    await image.remove()
  }
}
