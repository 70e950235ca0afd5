// The transmission phase over a raw socket, against a device whose reads answer only when the
// test lets them: a run of reads is asked of the device at once, their replies come in request
// order whichever finishes first, and a write waits for the reads before it.
import t from 'tap'
import type { BlockDevice, Extent } from '../../../simulator/nbd/device.js'
import { ExportTable } from '../../../simulator/nbd/exports.js'
import { MemoryDevice } from '../../../simulator/nbd/memory-device.js'
import { listenNbd } from '../../../simulator/nbd/server.js'
import { MiB, RawClient, u16, u32, u64 } from '../../helpers/nbd.js'

const CMD = { READ: 0, WRITE: 1 }

/** A memory device whose reads wait until released; it notes every call as it is made. */
class HeldReads implements BlockDevice {
  readonly size = MiB
  readonly readOnly = false
  readonly blockSize = 4096
  readonly calls: string[] = []
  private readonly memory = new MemoryDevice(MiB)
  private readonly held: Array<() => void> = []
  private heldChanged: () => void = () => {}

  async read (offset: number, length: number): Promise<Uint8Array> {
    this.calls.push(`read ${offset}`)
    const bytes = this.memory.read(offset, length)
    await new Promise<void>((resolve) => {
      this.held.push(resolve)
      this.heldChanged()
    })
    return bytes
  }

  write (offset: number, data: Uint8Array): void {
    this.calls.push(`write ${offset}`)
    this.memory.write(offset, data)
  }

  flush (): void {}
  trim (offset: number, length: number): void { this.memory.trim(offset, length) }
  writeZeroes (offset: number, length: number): void { this.memory.writeZeroes(offset, length) }
  extents (offset: number, length: number): Extent[] { return this.memory.extents(offset, length) }

  /** Resolves once `count` reads are waiting. */
  async whenHeld (count: number): Promise<void> {
    while (this.held.length < count) await new Promise<void>((resolve) => { this.heldChanged = resolve })
  }

  /** Lets the waiting reads answer, the i-th of them in `order[i]`-th place. */
  release (order: number[]): void {
    const held = this.held.splice(0)
    for (const i of order) held[i]!()
  }
}

function request (type: number, handle: number, offset: number, length: number, payload = Buffer.alloc(0)): Buffer {
  return Buffer.concat([u32(0x25609513), u16(0), u16(type), u64(BigInt(handle)), u64(BigInt(offset)), u32(length), payload])
}

t.test('reads sent together are asked at once and answered in request order; a write waits for the reads before it', async (t) => {
  const device = new HeldReads()
  const exports = new ExportTable(false)
  const name = exports.publish('held', device)
  const server = await listenNbd(exports, 0)
  t.teardown(() => server.close())
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.open(name)
  device.write(0, Buffer.alloc(3 * 4096, 1))
  device.calls.length = 0

  client.send(
    request(CMD.READ, 0, 0, 4096), request(CMD.READ, 1, 4096, 4096), request(CMD.READ, 2, 8192, 4096),
    request(CMD.WRITE, 3, 4096, 4096, Buffer.alloc(4096, 7)), request(CMD.READ, 4, 4096, 4096)
  )
  await device.whenHeld(3)
  t.same(device.calls, ['read 0', 'read 4096', 'read 8192'], 'three reads under way together; the write not yet applied')
  device.release([2, 1, 0])
  for (const handle of [0, 1, 2]) {
    const reply = await client.chunk()
    t.equal(reply?.handle, handle, `reply ${handle} in its place`)
    t.ok(reply!.data.subarray(8).equals(Buffer.alloc(4096, 1)), `read ${handle} saw the bytes before the write`)
  }
  t.equal(await client.errno(), 0, 'the write, answered after the reads and before the read after it is done')
  await device.whenHeld(1)
  t.same(device.calls.slice(3), ['write 4096', 'read 4096'], 'the read after the write was asked after it')
  device.release([0])
  const last = await client.chunk()
  t.equal(last?.handle, 4)
  t.ok(last!.data.subarray(8).equals(Buffer.alloc(4096, 7)), 'the read after the write sees it')
})
