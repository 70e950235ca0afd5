// The transmission phase over a raw socket, against a device whose reads answer only when the
// test lets them: reads are asked of the device ahead, contiguous READs as one read, their
// replies come in request order whichever finishes first, and a write waits for the reads
// before it.
import t, { type Test } from 'tap'
import { NbdError, type BlockDevice, type Extent } from '../../../simulator/nbd/device.js'
import { MemoryDevice } from '../../../simulator/nbd/memory-device.js'
import { MiB, openDevice, type RawClient, u16, u32, u64 } from '../../helpers/nbd.js'

const CMD = { READ: 0, WRITE: 1 }

/** A memory device whose reads wait until released; it notes every call as it is made. */
class HeldReads implements BlockDevice {
  readonly size = 4 * MiB
  readonly readOnly = false
  readonly blockSize = 4096
  readonly calls: string[] = []
  /** Reads that start here fail, once released. */
  readonly failing = new Set<number>()
  private readonly memory = new MemoryDevice(4 * MiB)
  private readonly held: Array<() => void> = []
  private heldChanged: () => void = () => {}

  async read (offset: number, length: number): Promise<Uint8Array> {
    this.calls.push(`read ${offset}+${length}`)
    const bytes = this.memory.read(offset, length)
    await new Promise<void>((resolve) => {
      this.held.push(resolve)
      this.heldChanged()
    })
    if (this.failing.has(offset)) throw new NbdError(5, 'the test failed this read')
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

  /** Lets every waiting read answer, in the order asked. */
  releaseAll (): void {
    this.release(this.held.map((_, i) => i))
  }
}

function request (type: number, handle: number, offset: number, length: number, payload = Buffer.alloc(0)): Buffer {
  return Buffer.concat([u32(0x25609513), u16(0), u16(type), u64(BigInt(handle)), u64(BigInt(offset)), u32(length), payload])
}

async function openHeld (t: Test): Promise<{ device: HeldReads, client: RawClient }> {
  return await openDevice(t, new HeldReads())
}

/** Block `block`'s bytes on the held device: every byte is its number + 1. */
const blockBytes = (block: number): Buffer => Buffer.alloc(4096, block + 1)

t.test('reads sent together are asked at once and answered in request order; a write waits for the reads before it', async (t) => {
  const { device, client } = await openHeld(t)
  device.write(0, Buffer.alloc(5 * 4096, 1))
  device.calls.length = 0

  // Apart, so each is a read of its own.
  client.send(
    request(CMD.READ, 0, 0, 4096), request(CMD.READ, 1, 8192, 4096), request(CMD.READ, 2, 16384, 4096),
    request(CMD.WRITE, 3, 8192, 4096, Buffer.alloc(4096, 7)), request(CMD.READ, 4, 8192, 4096)
  )
  await device.whenHeld(3)
  t.same(device.calls, ['read 0+4096', 'read 8192+4096', 'read 16384+4096'], 'three reads under way together; the write not yet applied')
  device.release([2, 1, 0])
  for (const handle of [0, 1, 2]) {
    const reply = await client.chunk()
    t.equal(reply?.handle, handle, `reply ${handle} in its place`)
    t.ok(reply!.data.subarray(8).equals(Buffer.alloc(4096, 1)), `read ${handle} saw the bytes before the write`)
  }
  t.equal(await client.errno(), 0, 'the write, answered after the reads and before the read after it is done')
  await device.whenHeld(1)
  t.same(device.calls.slice(3), ['write 8192', 'read 8192+4096'], 'the read after the write was asked after it')
  device.release([0])
  const last = await client.chunk()
  t.equal(last?.handle, 4)
  t.ok(last!.data.subarray(8).equals(Buffer.alloc(4096, 7)), 'the read after the write sees it')
})

t.test('contiguous READs are one device read, each answered with its own offset and bytes', async (t) => {
  const { device, client } = await openHeld(t)
  for (let block = 0; block < 4; block++) device.write(block * 4096, blockBytes(block))
  device.calls.length = 0

  // 0-2 continue one another; 3 starts again at block 1; 4 continues 3.
  client.send(
    request(CMD.READ, 0, 0, 4096), request(CMD.READ, 1, 4096, 8192), request(CMD.READ, 2, 12288, 4096),
    request(CMD.READ, 3, 4096, 4096), request(CMD.READ, 4, 8192, 4096)
  )
  await device.whenHeld(2)
  t.same(device.calls, ['read 0+16384', 'read 4096+8192'], 'two device reads for five READs')
  device.release([1, 0])
  const expected: Array<[number, number, number[]]> = [[0, 0, [0]], [1, 4096, [1, 2]], [2, 12288, [3]], [3, 4096, [1]], [4, 8192, [2]]]
  for (const [handle, offset, blocks] of expected) {
    const reply = await client.chunk()
    t.equal(reply?.handle, handle, `reply ${handle} in its place`)
    t.equal(reply!.data.readBigUInt64BE(0), BigInt(offset), `reply ${handle} says its own offset`)
    t.ok(reply!.data.subarray(8).equals(Buffer.concat(blocks.map(blockBytes))), `reply ${handle} carries its own blocks`)
  }
})

t.test('a device read ends at 1 MiB, and a failed one fails each READ of it, no other', async (t) => {
  const { device, client } = await openHeld(t)
  device.failing.add(0)
  // Five 256 KiB READs from 0: the first four are one read (which fails), the fifth one of its own.
  client.send(...[0, 1, 2, 3, 4].map((i) => request(CMD.READ, i, i * 256 * 1024, 256 * 1024)))
  await device.whenHeld(2)
  t.same(device.calls, [`read 0+${MiB}`, `read ${MiB}+${256 * 1024}`])
  device.release([0, 1])
  for (const handle of [0, 1, 2, 3]) {
    const reply = await client.chunk()
    t.equal(reply?.handle, handle, `reply ${handle} in its place`)
    t.equal(reply?.type, 0x8001, `READ ${handle} of the failed read gets an error`)
    t.equal(reply!.data.readUInt32BE(0), 5, 'the error the device gave (EIO)')
  }
  const fifth = await client.chunk()
  t.equal(fifth?.handle, 4)
  t.equal(fifth?.type, 1, 'the READ of the next device read is answered with data')
})

/** A device that answers at once and notes each call; `extentsOf` and `failWrite` stand in for its answers. */
class NotingDevice implements BlockDevice {
  readonly size = 8 * MiB
  readonly readOnly = false
  readonly blockSize = 4096
  readonly calls: string[] = []
  reads = 0
  extentsOf: ((offset: number, length: number) => Extent[]) | undefined
  failWrite: Error | undefined
  private readonly memory = new MemoryDevice(8 * MiB)

  read (offset: number, length: number): Uint8Array {
    this.reads++
    return this.memory.read(offset, length)
  }

  write (offset: number, data: Uint8Array): void {
    if (this.failWrite !== undefined) throw this.failWrite
    this.calls.push(`write ${offset}`)
    this.memory.write(offset, data)
  }

  flush (): void { this.calls.push('flush') }
  trim (offset: number, length: number): void { this.memory.trim(offset, length) }
  writeZeroes (offset: number, length: number): void { this.memory.writeZeroes(offset, length) }
  extents (offset: number, length: number): Extent[] { return this.extentsOf?.(offset, length) ?? this.memory.extents(offset, length) }
}

async function openNoting (t: Test): Promise<{ device: NotingDevice, client: RawClient }> {
  return await openDevice(t, new NotingDevice())
}

t.test('a client that sends requests but reads no replies stops the server: replies queue to a bound, then nothing more is asked of the device', async (t) => {
  const { device, client } = await openNoting(t)
  client.socket.pause()
  const READS = 400
  client.send(...Array.from({ length: READS }, (_, i) => request(CMD.READ, i, (i % 8) * MiB, MiB)))
  // Until the device has been asked nothing new for a while: the server waits on the client.
  let seen = -1
  for (let still = 0; still < 10 && device.reads < READS; still = device.reads === seen ? still + 1 : 0) {
    seen = device.reads
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(device.reads < READS / 4, `${device.reads} of ${READS} 1 MiB reads asked while the client reads nothing (socket buffers, the 8 MiB backlog and 2 MiB ahead)`)
  client.socket.resume()
  for (let handle = 0; handle < READS; handle++) {
    const reply = await client.chunk()
    if (reply?.handle !== handle || reply.data.length !== 8 + MiB) t.fail(`reply ${handle} out of place or short`)
  }
  t.equal(device.reads, READS, 'once the client reads, every request is served')
})

t.test('block status answers no more than the request covers, whatever the device says', async (t) => {
  const { device, client } = await openNoting(t)
  // The device answers longer extents than asked, and an empty one after them.
  device.extentsOf = (_offset, length) => [
    { length: length / 2, hole: true, zero: true }, { length, hole: false, zero: false }, { length: 4096, hole: true, zero: false }
  ]
  client.request(7, 1, MiB, MiB)
  const reply = (await client.chunk())!
  const descriptors: number[][] = []
  for (let at = 4; at < reply.data.length; at += 8) descriptors.push([reply.data.readUInt32BE(at), reply.data.readUInt32BE(at + 4)])
  t.same(descriptors, [[MiB / 2, 3], [MiB / 2, 0]], 'two descriptors covering exactly the request')
})

t.test('a device that fails a write: its NbdError reaches the client, any other failure is EIO; the connection goes on', async (t) => {
  const { device, client } = await openNoting(t)
  device.failWrite = new NbdError(28, 'the test filled the device')
  client.request(CMD.WRITE, 1, 0, 4096, 0, Buffer.alloc(4096, 1))
  t.same(await client.refusal(), { errno: 28, message: 'the test filled the device' }, 'ENOSPC, as the device said')
  device.failWrite = new Error('something inside broke')
  client.request(CMD.WRITE, 2, 0, 4096, 0, Buffer.alloc(4096, 1))
  t.same(await client.refusal(), { errno: 5, message: 'the export failed to serve the request' }, 'EIO: nothing of the inside failure is told')
  device.failWrite = undefined
  client.request(CMD.WRITE, 3, 0, 4096, 0, Buffer.alloc(4096, 1))
  t.equal(await client.errno(), 0)
  t.same(device.calls, ['write 0'], 'only the last write landed')
})

t.test('FLUSH asks the device to flush, after the writes before it', async (t) => {
  const { device, client } = await openNoting(t)
  client.send(request(CMD.WRITE, 1, 0, 4096, Buffer.alloc(4096, 1)), request(CMD.WRITE, 2, 4096, 4096, Buffer.alloc(4096, 2)), request(3, 3, 0, 0))
  for (const handle of [1, 2, 3]) t.equal(await client.errno(), 0, `request ${handle} served`)
  t.same(device.calls, ['write 0', 'write 4096', 'flush'])
})

t.test('READs that do not continue the run, or would take it past 1 MiB, start a device read of their own', async (t) => {
  const { device, client } = await openHeld(t)
  // 0: 0+512K; 1 continues it to 1 MiB - 4 KiB; 2 would pass 1 MiB; 3 is before 2's end.
  client.send(request(CMD.READ, 0, 0, 512 * 1024), request(CMD.READ, 1, 512 * 1024, 512 * 1024 - 4096),
    request(CMD.READ, 2, MiB - 4096, 8192), request(CMD.READ, 3, 0, 4096))
  await device.whenHeld(3)
  t.same(device.calls, [`read 0+${MiB - 4096}`, `read ${MiB - 4096}+8192`, 'read 0+4096'])
  device.release([0, 1, 2])
  for (const handle of [0, 1, 2, 3]) t.equal((await client.chunk())?.handle, handle)
})

t.test('a run still growing is not cut short while older replies are awaited: 3 MiB of 4 KiB READs are three device reads of 1 MiB', async (t) => {
  const { device, client } = await openHeld(t)
  const READS = 768
  client.send(...Array.from({ length: READS }, (_, i) => request(CMD.READ, i, i * 4096, 4096)))
  const replied = { all: false }
  const replies = (async () => {
    for (let handle = 0; handle < READS; handle++) if ((await client.chunk())?.handle !== handle) t.fail(`reply ${handle} out of place`)
    replied.all = true
  })()
  while (!replied.all) {
    await Promise.race([device.whenHeld(1), replies])
    device.releaseAll()
  }
  t.same(device.calls, [`read 0+${MiB}`, `read ${MiB}+${MiB}`, `read ${2 * MiB}+${MiB}`])
})
