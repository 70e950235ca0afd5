// Where `cdp-sim workload` writes and what: a seeded generator, so the same options and
// seed give the same writes (same offsets, same bytes) and hence the same image digests.
// Each write takes its offset, then its content from one stream, in that order.
import { mulberry32 } from '../random.js'

export const PATTERNS = ['sequential', 'random', 'hot'] as const
export type Pattern = typeof PATTERNS[number]

/** `hot`: this share of the writes goes to HOT_BLOCKS of the span's blocks (its start). */
const HOT_WRITES = 0.8
const HOT_BLOCKS = 0.2

export interface WritePatternOptions {
  volumes: readonly string[]
  pattern: Pattern
  /** Bytes per write, a multiple of 4096. */
  blockSize: number
  /** Bytes from the volume's start that writes land in, a multiple of blockSize. */
  span: number
  seed: number
  /** The share of writes (0..1) that fill their block with one byte drawn from the stream instead of random bytes. */
  fillShare?: number
}

/** What one write carries: a byte over every byte of it, or its bytes. */
export type WriteContent = { fill: number } | { data: Buffer }

export interface PlannedWrite {
  volume: string
  offset: number
}

export class WritePattern {
  private readonly next32: () => number
  private readonly slots: number
  private readonly hotSlots: number
  /** Per volume, how many writes it has had (sequential walks each volume on its own). */
  private readonly written: number[]
  private count = 0

  constructor (private readonly options: WritePatternOptions) {
    this.next32 = mulberry32(options.seed)
    this.slots = options.span / options.blockSize
    this.hotSlots = Math.max(1, Math.floor(this.slots * HOT_BLOCKS))
    this.written = options.volumes.map(() => 0)
  }

  /** The next write's volume (round robin) and offset. */
  next (): PlannedWrite {
    const index = this.count++ % this.options.volumes.length
    const nth = this.written[index] ?? 0
    this.written[index] = nth + 1
    return { volume: this.options.volumes[index] ?? '', offset: this.slot(nth) * this.options.blockSize }
  }

  /** The next write's content; with no fill share it is always random data (and draws nothing more). */
  content (): WriteContent {
    const share = this.options.fillShare ?? 0
    // A fill byte from 1 to 255: a fill of zeros would write nothing the image keeps.
    if (share > 0 && this.next32() / 2 ** 32 < share) return { fill: 1 + this.below(255) }
    return { data: this.data() }
  }

  /** blockSize bytes from the same stream. */
  data (): Buffer {
    const words = new Uint32Array(this.options.blockSize / 4)
    for (let i = 0; i < words.length; i++) words[i] = this.next32()
    return Buffer.from(words.buffer)
  }

  private slot (nth: number): number {
    switch (this.options.pattern) {
      case 'sequential': return nth % this.slots
      case 'random': return this.below(this.slots)
      case 'hot':
        if (this.hotSlots === this.slots || this.next32() / 2 ** 32 < HOT_WRITES) return this.below(this.hotSlots)
        return this.hotSlots + this.below(this.slots - this.hotSlots)
    }
  }

  /** A whole number in [0, n). */
  private below (n: number): number {
    return Math.floor(this.next32() / 2 ** 32 * n)
  }
}
