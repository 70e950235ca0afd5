// Block content and the image digest (simulator/content.ts): which writes a call may carry and
// the per-block changes they become, each distinct block stored once, and the digest computed
// here from raw bytes as the README tells a client to (sha256 over each non-zero block's 8-byte
// big-endian number and its bytes' sha256, in block order).
import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import type { CdpError } from '../../src/errors.js'
import { digestOfHashes, imageDigest, internBlock, toBlockChanges, ZERO, type Token } from '../../simulator/content.js'
import type { BlockWrite } from '../../simulator/control.js'
import { openDatabase } from '../../simulator/schema.js'
import { type Sql, sqlOver } from '../../simulator/sql.js'

const BLOCK = 4096
const VOLUME = 64 * BLOCK

function openContent (t: Test): Sql {
  const sql = sqlOver(openDatabase(':memory:'))
  t.teardown(() => sql.close())
  return sql
}

function ownSha256 (bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest()
}

/** The digest as a client computes it from the image's bytes. */
function digestOfImage (image: Buffer): string {
  const digest = createHash('sha256')
  for (let block = 0; block * BLOCK < image.length; block++) {
    const bytes = image.subarray(block * BLOCK, (block + 1) * BLOCK)
    if (bytes.every((byte) => byte === 0)) continue
    const number = Buffer.alloc(8)
    number.writeBigUInt64BE(BigInt(block))
    digest.update(number).update(ownSha256(bytes))
  }
  return digest.digest('hex')
}

/** The desc of the INVALID_WRITE toBlockChanges threw; 'accepted' when it did not throw. */
function refusal (writes: BlockWrite[], volumeSize = VOLUME): string {
  try {
    toBlockChanges(writes, volumeSize, () => 1)
    return 'accepted'
  } catch (error) {
    const { code, desc } = error as CdpError
    return `${code}: ${desc}`
  }
}

t.test('a write is refused unless its offset and length are 4 KiB multiples, its length positive, and it ends inside the volume', async (t) => {
  const ok: BlockWrite = { offset: 0, length: BLOCK, fill: 1 }
  const cases: Array<[string, BlockWrite[], string]> = [
    ['an unaligned offset', [ok, { offset: 512, length: BLOCK, fill: 1 }], 'INVALID_WRITE: writes[1].offset 512 is not a multiple of 4096'],
    ['a negative offset', [{ offset: -BLOCK, length: BLOCK, fill: 1 }], 'INVALID_WRITE: writes[0].offset -4096 is not a multiple of 4096'],
    ['a fractional offset', [{ offset: 0.5, length: BLOCK, fill: 1 }], 'INVALID_WRITE: writes[0].offset 0.5 is not a multiple of 4096'],
    ['an offset past 2^53', [{ offset: 2 ** 53 + BLOCK * 2, length: BLOCK, fill: 1 }], `INVALID_WRITE: writes[0].offset ${2 ** 53 + BLOCK * 2} is not a multiple of 4096`],
    ['an unaligned length', [{ offset: 0, length: BLOCK + 1, fill: 1 }], 'INVALID_WRITE: writes[0] length 4097 is not a positive multiple of 4096'],
    ['a zero length', [{ offset: 0, length: 0, fill: 1 }], 'INVALID_WRITE: writes[0] length 0 is not a positive multiple of 4096'],
    ['a negative length', [{ offset: 0, length: -BLOCK, fill: 1 }], 'INVALID_WRITE: writes[0] length -4096 is not a positive multiple of 4096'],
    ['a length past 2^53', [{ offset: 0, length: 2 ** 53 + BLOCK * 2, fill: 1 }], `INVALID_WRITE: writes[0] length ${2 ** 53 + BLOCK * 2} is not a positive multiple of 4096`],
    ['data of no bytes', [{ offset: 0, data: Buffer.alloc(0) }], 'INVALID_WRITE: writes[0] length 0 is not a positive multiple of 4096'],
    ['data not a whole block', [{ offset: 0, data: Buffer.alloc(100) }], 'INVALID_WRITE: writes[0] length 100 is not a positive multiple of 4096'],
    ['a write one block past the end', [ok, ok, { offset: VOLUME - BLOCK, length: 2 * BLOCK, fill: 1 }], `INVALID_WRITE: writes[2] ends at ${VOLUME + BLOCK}, past the volume's ${VOLUME} bytes`],
    ['a write starting at the end', [{ offset: VOLUME, data: Buffer.alloc(BLOCK) }], `INVALID_WRITE: writes[0] ends at ${VOLUME + BLOCK}, past the volume's ${VOLUME} bytes`],
    ['a fill of 256', [{ offset: 0, length: BLOCK, fill: 256 }], 'INVALID_WRITE: writes[0].fill must be a byte (0-255)'],
    ['a fill of -1', [{ offset: 0, length: BLOCK, fill: -1 }], 'INVALID_WRITE: writes[0].fill must be a byte (0-255)'],
    ['a fill of 1.5', [{ offset: 0, length: BLOCK, fill: 1.5 }], 'INVALID_WRITE: writes[0].fill must be a byte (0-255)']
  ]
  for (const [rule, writes, expected] of cases) t.equal(refusal(writes), expected, rule)
  t.equal(refusal([{ offset: VOLUME - BLOCK, length: BLOCK, fill: 0 }, { offset: 0, length: VOLUME, fill: 255 }]), 'accepted', 'a write ending at the end, fills 0 and 255')
})

t.test('one call carries at most 65,536 blocks, over all its writes', async (t) => {
  const size = 2 ** 40
  const blocks = (count: number, offset = 0): BlockWrite => ({ offset, length: count * BLOCK, fill: 7 })
  t.equal(refusal([blocks(65536)], size), 'accepted', 'exactly 65,536 in one write')
  t.equal(refusal([blocks(65535), blocks(1, 2 ** 30)], size), 'accepted', 'exactly 65,536 over two')
  t.equal(refusal([blocks(65537)], size), 'INVALID_WRITE: one call may write at most 65536 blocks')
  t.equal(refusal([blocks(65536), blocks(1, 2 ** 30)], size), 'INVALID_WRITE: one call may write at most 65536 blocks', 'one more in a second write')
})

t.test('writes become one change per block, in the writes\' order, each data block interned from its own bytes and a fill once', async (t) => {
  const interned: Buffer[] = []
  const intern = (bytes: Uint8Array): Token => {
    interned.push(Buffer.from(bytes))
    return interned.length
  }
  const data = Buffer.concat([Buffer.alloc(BLOCK, 1), Buffer.alloc(BLOCK, 2), Buffer.alloc(BLOCK, 3)])
  const changes = toBlockChanges([{ offset: 5 * BLOCK, length: 3 * BLOCK, fill: 9 }, { offset: 2 * BLOCK, data }, { offset: 0, length: BLOCK, fill: 0 }], VOLUME, intern)
  t.same(changes, [
    { block: 5, token: 1 }, { block: 6, token: 1 }, { block: 7, token: 1 },
    { block: 2, token: 2 }, { block: 3, token: 3 }, { block: 4, token: 4 },
    { block: 0, token: 5 }
  ])
  t.same(interned, [Buffer.alloc(BLOCK, 9), Buffer.alloc(BLOCK, 1), Buffer.alloc(BLOCK, 2), Buffer.alloc(BLOCK, 3), Buffer.alloc(BLOCK, 0)], 'the bytes each token was asked for')
})

t.test('each distinct block is stored once, by its sha256; the zeroed block is token 0 and stored not at all', async (t) => {
  const sql = openContent(t)
  const rows = (): Array<{ id: bigint, sha256: Buffer, data: Buffer }> => sql.all('SELECT id, sha256, data FROM content ORDER BY id')
  t.equal(internBlock(sql, Buffer.alloc(BLOCK)), ZERO)
  t.equal(ZERO, 0)
  t.same(rows(), [], 'zeros have no row')
  const a = Buffer.alloc(BLOCK, 0xaa)
  const b = Buffer.alloc(BLOCK)
  b[BLOCK - 1] = 1
  const tokenA = internBlock(sql, a)
  const tokenB = internBlock(sql, b)
  t.not(tokenA, ZERO)
  t.not(tokenB, ZERO)
  t.not(tokenA, tokenB, 'different bytes, different tokens (one byte at the end differs from zeros)')
  t.equal(internBlock(sql, Buffer.from(a)), tokenA, 'the same bytes again: the same token')
  t.same(rows(), [
    { id: BigInt(tokenA), sha256: ownSha256(a), data: a },
    { id: BigInt(tokenB), sha256: ownSha256(b), data: b }
  ], 'one row each, with its bytes and their sha256')
})

t.test('the image digest is the one a client computes from the raw image; zeroed blocks do not count', async (t) => {
  const sql = openContent(t)
  const image = Buffer.alloc(8 * BLOCK)
  image.fill(3, 1 * BLOCK, 2 * BLOCK)
  image.fill(0x55, 4 * BLOCK, 6 * BLOCK)
  image[7 * BLOCK + 9] = 1
  const blocks = Array.from({ length: 8 }, (_, block) => ({ block, token: internBlock(sql, image.subarray(block * BLOCK, (block + 1) * BLOCK)) }))
  t.equal(imageDigest(sql, blocks), digestOfImage(image), 'over tokens')
  const hashes = blocks.filter(({ token }) => token !== ZERO).map(({ block }) => ({ block, hash: ownSha256(image.subarray(block * BLOCK, (block + 1) * BLOCK)) }))
  t.equal(digestOfHashes(hashes), digestOfImage(image), 'over hashes')
  t.equal(imageDigest(sql, []), createHash('sha256').digest('hex'), 'an empty image: the sha256 of nothing')
  t.equal(imageDigest(sql, [{ block: 0, token: ZERO }, { block: 3, token: ZERO }]), createHash('sha256').digest('hex'), 'all zeros: the same')
  const moved = [{ block: 2 ** 40, token: blocks[1]!.token }]
  const far = createHash('sha256').update(Buffer.from([0, 0, 1, 0, 0, 0, 0, 0])).update(ownSha256(image.subarray(BLOCK, 2 * BLOCK))).digest('hex')
  t.equal(imageDigest(sql, moved), far, 'a block number past 2^32 is written in 8 bytes')
})
