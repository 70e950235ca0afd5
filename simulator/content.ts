// Volume content as compact tokens, one per 4 KiB block: a block of one repeated byte is that
// byte (0 is a zeroed block), any other block a 52-bit slice of its sha256 offset past 255.
// Two images with the same tokens hold the same bytes, so a digest of tokens identifies an
// exact image without storing data.
import { createHash } from 'node:crypto'
import { CdpError } from '../src/errors.js'
import type { BlockWrite } from './control.js'

export const BLOCK_SIZE = 4096
/** The same, as journal use counts it. */
export const BLOCK_BYTES = BigInt(BLOCK_SIZE)
/** Blocks one write call may carry: 256 MiB. */
export const MAX_BLOCKS_PER_CALL = 65536

export type Token = number
export const ZERO: Token = 0

export function blockToken (bytes: Uint8Array): Token {
  const first = bytes[0] as number
  if (bytes.every((b) => b === first)) return first
  const hex = createHash('sha256').update(bytes).digest('hex')
  return 256 + Number.parseInt(hex.slice(0, 13), 16)
}

/** One (block index, token) pair to apply. */
export interface BlockChange { block: number, token: Token }

/** Turns block-aligned writes into per-block changes, checking them against the volume. */
export function toBlockChanges (writes: BlockWrite[], volumeSize: number): BlockChange[] {
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
    for (let b = 0; b < blocks; b++) {
      const token = 'data' in write
        ? blockToken(write.data.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE))
        : write.fill
      changes.push({ block: first + b, token })
    }
  })
  return changes
}

/** sha256 over an image's non-zero blocks in block order. */
export function imageDigest (blocks: Iterable<BlockChange>): string {
  const hash = createHash('sha256')
  for (const { block, token } of blocks) {
    if (token !== ZERO) hash.update(`${block}:${token};`)
  }
  return hash.digest('hex')
}
