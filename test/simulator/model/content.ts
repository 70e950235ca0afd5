// Block content as the tests know it, computed here and nowhere else: the bytes a test writes,
// and the image digest exactly as docs/simulator.md documents it for clients, written from that text
// (not imported from simulator/content.ts, which is what these oracles check).
//
// The documented digest: sha256 over, for each block that is not all zeros, in block order,
// its block number (8 bytes, big-endian) followed by the 32-byte sha256 of its 4,096 bytes.
import { createHash } from 'node:crypto'

export const BLOCK_BYTES = 4096

/** What a test writes into one block: a repeated byte, or bytes derived from a seed and the block's index. */
export type Content = { fill: number } | { seed: number, block: number }

export const ZERO: Content = { fill: 0 }

/** One string per distinct byte content (a fill of `b` and bytes that are all `b` never both occur: see bytesOf). */
export function contentKey (content: Content): string {
  return 'fill' in content ? `f${content.fill}` : `d${content.seed}:${content.block}`
}

export function sameContent (a: Content | undefined, b: Content | undefined): boolean {
  return contentKey(a ?? ZERO) === contentKey(b ?? ZERO)
}

/**
 * The 4096 bytes of a content. Seeded bytes are never one repeated byte: byte 0 is the low
 * byte of the seed and byte 1 differs from it, so a seeded block never equals a fill.
 */
export function bytesOf (content: Content): Uint8Array {
  const bytes = new Uint8Array(BLOCK_BYTES)
  if ('fill' in content) return bytes.fill(content.fill)
  let x = (content.seed * 2_654_435_761 + content.block * 40_503 + 1) >>> 0
  for (let i = 0; i < BLOCK_BYTES; i++) {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0
    bytes[i] = x >>> 24
  }
  bytes[0] = content.seed & 0xff
  bytes[1] = (content.seed + 1) & 0xff
  return bytes
}

/** Block index → content; a block not in the map is zero. */
export type Image = ReadonlyMap<number, Content>

/** The digest docs/simulator.md documents for an image. */
export function digestOf (image: Image): string {
  const hash = createHash('sha256')
  const number = Buffer.alloc(8)
  for (const block of [...image.keys()].sort((a, b) => a - b)) {
    const content = image.get(block) as Content
    if (sameContent(content, ZERO)) continue
    number.writeBigUInt64BE(BigInt(block))
    hash.update(number).update(createHash('sha256').update(bytesOf(content)).digest())
  }
  return hash.digest('hex')
}

/** Fill and data writes for `/sim/v1` or `Simulator.write` that put `blocks` at consecutive blocks from `first`. */
export function writesFor (first: number, blocks: Content[]): Array<{ offset: number, length: number, fill: number } | { offset: number, data: Uint8Array }> {
  return blocks.map((content, i) => {
    const offset = (first + i) * BLOCK_BYTES
    return 'fill' in content ? { offset, length: BLOCK_BYTES, fill: content.fill } : { offset, data: bytesOf(content) }
  })
}
