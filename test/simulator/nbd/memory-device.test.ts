// MemoryDevice against a flat buffer: any sequence of writes, zeroes and trims reads back the
// same, and its extents cover the request exactly, holes only where the buffer is zero.
import fc from 'fast-check'
import t from 'tap'
import { MemoryDevice } from '../../../simulator/nbd/memory-device.js'

const SIZE = 512 * 1024
const SECTOR = 512

const range = fc.tuple(fc.nat(SIZE / SECTOR - 1), fc.integer({ min: 1, max: 300 }))
  .map(([start, count]) => ({ offset: start * SECTOR, length: Math.min(count, SIZE / SECTOR - start) * SECTOR }))
const operation = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), at: range, byte: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constantFrom('zero' as const, 'trim' as const), at: range })
)

t.test('reads, after any operations, equal a flat buffer given the same operations', async (t) => {
  fc.assert(fc.property(fc.array(operation, { maxLength: 20 }), range, (operations, probe) => {
    const device = new MemoryDevice(SIZE)
    const flat = Buffer.alloc(SIZE)
    for (const op of operations) {
      if (op.kind === 'write') {
        const data = Buffer.alloc(op.at.length, op.byte)
        device.write(op.at.offset, data)
        data.copy(flat, op.at.offset)
      } else {
        if (op.kind === 'zero') device.writeZeroes(op.at.offset, op.at.length)
        else device.trim(op.at.offset, op.at.length)
        flat.fill(0, op.at.offset, op.at.offset + op.at.length)
      }
    }
    const read = Buffer.from(device.read(probe.offset, probe.length))
    if (!read.equals(flat.subarray(probe.offset, probe.offset + probe.length))) return false
    let at = probe.offset
    for (const extent of device.extents(probe.offset, probe.length)) {
      if (extent.hole && flat.subarray(at, at + extent.length).some((byte) => byte !== 0)) return false
      at += extent.length
    }
    return at === probe.offset + probe.length
  }))
  t.pass('held for every generated case')
})
