// Assembling a read from the stored blocks among those asked for: whatever order the store
// yields them in, the answer holds each stored block at its place and zeros everywhere else.
import fc from 'fast-check'
import t from 'tap'
import { assemble, BLOCK_SIZE } from '../../simulator/content.js'

t.test('assemble puts each block at its place and zeros in every gap, in any order', async (t) => {
  fc.assert(fc.property(
    fc.integer({ min: 0, max: 1000 }),
    fc.integer({ min: 1, max: 24 }),
    fc.array(fc.integer({ min: 0, max: 23 }), { maxLength: 24 }),
    (first, count, picks) => {
      const blocks = [...new Set(picks.filter((i) => i < count))].map((i) => ({ block: first + i, data: Buffer.alloc(BLOCK_SIZE, 1 + (i % 255)) }))
      const expected = Buffer.alloc(count * BLOCK_SIZE)
      for (const { block, data } of blocks) data.copy(expected, (block - first) * BLOCK_SIZE)
      // A pool-backed buffer full of old bytes must not show through a gap.
      Buffer.allocUnsafe(count * BLOCK_SIZE).fill(0xee)
      return assemble(first, count, blocks).equals(expected)
    }
  ))
  t.pass('held for every drawn set and order')
})
