// MemoryDevice against a flat buffer and a page map kept here: any sequence of writes, zeroes
// and trims reads back the same, and its extents are exactly the model's runs of 256 KiB pages,
// a page allocated from its first write until a zero or trim covers it whole.
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import t from 'tap'
import { MemoryDevice } from '../../../simulator/nbd/memory-device.js'

const PAGE = 256 * 1024
// Not a multiple of the page: the last page is a short one.
const SIZE = 2 * PAGE + 44 * 1024
const SECTOR = 512
const SEED = Number(process.env.MEMORY_DEVICE_SEED ?? Date.now() % 2 ** 31)

const range = fc.tuple(fc.nat(SIZE / SECTOR - 1), fc.integer({ min: 1, max: 1200 }))
  .map(([start, count]) => ({ offset: start * SECTOR, length: Math.min(count, SIZE / SECTOR - start) * SECTOR }))
const operation = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), at: range, byte: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constantFrom('zero' as const, 'trim' as const), at: range })
)

/** The extents the model's allocated pages give for a range: runs of one state, merged. */
function modelExtents (allocated: Set<number>, offset: number, length: number): Array<{ length: number, hole: boolean, zero: boolean }> {
  const out: Array<{ length: number, hole: boolean, zero: boolean }> = []
  for (let at = offset; at < offset + length;) {
    const page = Math.floor(at / PAGE)
    const end = Math.min((page + 1) * PAGE, offset + length)
    const hole = !allocated.has(page)
    const last = out.at(-1)
    if (last?.hole === hole) last.length += end - at
    else out.push({ length: end - at, hole, zero: hole })
    at = end
  }
  return out
}

t.test(`reads and extents, after any operations, equal the model's (MEMORY_DEVICE_SEED=${SEED})`, async (t) => {
  fc.assert(fc.property(fc.array(operation, { maxLength: 20 }), range, (operations, probe) => {
    const device = new MemoryDevice(SIZE)
    const flat = Buffer.alloc(SIZE)
    const allocated = new Set<number>()
    for (const op of operations) {
      const { offset, length } = op.at
      const pages = Array.from({ length: Math.floor((offset + length - 1) / PAGE) - Math.floor(offset / PAGE) + 1 }, (_, i) => Math.floor(offset / PAGE) + i)
      if (op.kind === 'write') {
        const data = Buffer.alloc(length, op.byte)
        device.write(offset, data)
        data.copy(flat, offset)
        for (const page of pages) allocated.add(page)
      } else {
        if (op.kind === 'zero') device.writeZeroes(offset, length)
        else device.trim(offset, length)
        flat.fill(0, offset, offset + length)
        for (const page of pages) {
          if (offset <= page * PAGE && offset + length >= Math.min((page + 1) * PAGE, SIZE)) allocated.delete(page)
        }
      }
    }
    const read = Buffer.from(device.read(probe.offset, probe.length))
    if (!read.equals(flat.subarray(probe.offset, probe.offset + probe.length))) return false
    return isDeepStrictEqual(device.extents(probe.offset, probe.length), modelExtents(allocated, probe.offset, probe.length))
  }), { seed: SEED })
  t.pass('held for every generated case')
})

t.test('a device is writable with 512-byte blocks unless told otherwise', async (t) => {
  t.match(new MemoryDevice(PAGE), { size: PAGE, readOnly: false, blockSize: 512 })
  t.match(new MemoryDevice(PAGE, { readOnly: true, blockSize: 4096 }), { readOnly: true, blockSize: 4096 })
})

t.test('a read is a copy: a later write does not change bytes already read', async (t) => {
  const device = new MemoryDevice(PAGE)
  device.write(0, Buffer.alloc(4096, 1))
  const read = device.read(0, 4096)
  device.write(0, Buffer.alloc(4096, 2))
  t.ok(read.every((byte) => byte === 1))
})
