// MiB/s reading a 256 MiB export with nbdcopy (to null:) from this server's memory device,
// against `nbdkit memory` holding the same bytes, same run. Target: ratio ≥ 0.5.
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
    await nbdcopy(image.path, ours)
    await nbdcopy(image.path, peer.uri)
    const { subject, peer: baseline } = await bestOf(async () => await nbdcopy(ours, 'null:'), async () => await nbdcopy(peer.uri, 'null:'))
    return { read_mib_per_s: subject, nbdkit_mib_per_s: baseline, ratio: Number((subject / baseline).toFixed(3)) }
  } finally {
    peer.close()
    await server.close()
    await image.remove()
  }
}
