// Volume content, stored for real: each distinct 4 KiB block is one row of `content` (its
// bytes, keyed by their sha256), and a block's token is that row's id; 0 is the zeroed block
// and has no row. A repeated fill pattern is therefore stored once, and tables that record
// what a block held (live, journal, base) keep one integer per block.
//
// The image digest: sha256 over, for each block that is not all zeros, in block order, its
// block number (8 bytes, big-endian) followed by the 32-byte sha256 of its 4,096 bytes. Its
// cost follows the blocks written, never the volume's size.
import { createHash, hash as oneShotHash } from 'node:crypto'
import { CdpError } from '../src/errors.js'
import type { BlockWrite } from './control.js'
import type { Sql } from './sql.js'

export const BLOCK_SIZE = 4096
/** The same, as journal use counts it. */
export const BLOCK_BYTES = BigInt(BLOCK_SIZE)
/** Blocks one write call may carry: 256 MiB. */
export const MAX_BLOCKS_PER_CALL = 65536

export type Token = number
export const ZERO: Token = 0
const ZERO_BLOCK = Buffer.alloc(BLOCK_SIZE)

/** One (block index, token) pair to apply. */
export interface BlockChange { block: number, token: Token }

export function sha256 (bytes: Uint8Array): Buffer {
  // One call, no Hash object (a quarter cheaper for 4 KiB): a write hashes every block it carries.
  return oneShotHash('sha256', bytes, 'buffer')
}

/** The token of a block's bytes, storing them the first time they are seen. */
export function internBlock (sql: Sql, bytes: Uint8Array): Token {
  if (ZERO_BLOCK.equals(bytes)) return ZERO
  const hash = sha256(bytes)
  // A lookup first: INSERT … ON CONFLICT DO NOTHING RETURNING costs more, even for new bytes.
  const found = sql.get<{ id: bigint }>('SELECT id FROM content WHERE sha256 = ?', hash)
  if (found !== undefined) return Number(found.id)
  return Number(sql.prepare('INSERT INTO content (sha256, data) VALUES (?, ?)').run(hash, bytes).lastInsertRowid)
}

/** Turns block-aligned writes into per-block changes, checking them against the volume; `intern` gives each block's token. */
export function toBlockChanges (writes: BlockWrite[], volumeSize: number, intern: (bytes: Uint8Array) => Token): BlockChange[] {
  const changes: BlockChange[] = []
  writes.forEach((write, i) => {
    const length = 'data' in write ? write.data.length : write.length
    if (!Number.isSafeInteger(write.offset) || write.offset < 0 || write.offset % BLOCK_SIZE !== 0) {
      throw new CdpError('INVALID_WRITE', `writes[${i}].offset ${write.offset} is not a multiple of ${BLOCK_SIZE}`)
    }
    if (!Number.isSafeInteger(length) || length <= 0 || length % BLOCK_SIZE !== 0) {
      throw new CdpError('INVALID_WRITE', `writes[${i}] length ${length} is not a positive multiple of ${BLOCK_SIZE}`)
    }
    if (write.offset + length > volumeSize) {
      throw new CdpError('INVALID_WRITE', `writes[${i}] ends at ${write.offset + length}, past the volume's ${volumeSize} bytes`)
    }
    if (!('data' in write) && !(Number.isInteger(write.fill) && write.fill >= 0 && write.fill <= 255)) {
      throw new CdpError('INVALID_WRITE', `writes[${i}].fill must be a byte (0-255)`)
    }
    const first = write.offset / BLOCK_SIZE
    const blocks = length / BLOCK_SIZE
    if (changes.length + blocks > MAX_BLOCKS_PER_CALL) {
      throw new CdpError('INVALID_WRITE', `one call may write at most ${MAX_BLOCKS_PER_CALL} blocks`)
    }
    const fillToken = 'data' in write ? undefined : intern(Buffer.alloc(BLOCK_SIZE, write.fill))
    for (let b = 0; b < blocks; b++) {
      const token = 'data' in write ? intern(write.data.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE)) : fillToken!
      changes.push({ block: first + b, token })
    }
  })
  return changes
}

/** The image digest (see the top of this file) from each non-zero block's number and sha256, in block order. */
export function digestOfHashes (blocks: Iterable<{ block: number, hash: Uint8Array }>): string {
  const digest = createHash('sha256')
  const number = Buffer.alloc(8)
  for (const { block, hash } of blocks) {
    number.writeBigUInt64BE(BigInt(block))
    digest.update(number).update(hash)
  }
  return digest.digest('hex')
}

/** The image digest of blocks given by token, in block order. */
export function imageDigest (sql: Sql, blocks: Iterable<BlockChange>): string {
  const hashOf = sql.prepare('SELECT sha256 FROM content WHERE id = ?').pluck()
  return digestOfHashes((function * () {
    for (const { block, token } of blocks) {
      if (token !== ZERO) yield { block, hash: hashOf.get(token) as Buffer }
    }
  })())
}
