// A naive model of one volume's content for the crash and concurrency tests: it keeps every
// write ever made with its time (never folded) and finds the image at a
// time by replaying from the start. Slow and obviously right, which is the point. Blocks are
// fills (one repeated byte); digests are computed by test/model/content.ts, not the simulator.
import { digestOf as digestOfContent } from '../model/content.js'

/** Block index → the byte the block is filled with; a block never written is zero. */
export type Image = Map<number, number>

/** One block set to a fill byte. */
export interface BlockChange { block: number, token: number }

interface TimedWrite { time: bigint, changes: BlockChange[] }

export class ReferenceVolume {
  private readonly writes: TimedWrite[] = []

  /** Every write made, in order: `at` ns and what it wrote. */
  write (at: bigint, changes: BlockChange[]): void {
    this.writes.push({ time: at, changes })
  }

  /** The content after every write at or before `time`, in the order they were made. */
  imageAt (time: bigint): Image {
    return replay(this.writes.filter((w) => w.time <= time))
  }

  /** The live content: every write so far. */
  current (): Image {
    return replay(this.writes)
  }

  /** A revert is an ordinary write that makes every block what it was at `to`. */
  revert (at: bigint, to: bigint): void {
    const target = this.imageAt(to)
    const blocks = new Set([...this.current().keys(), ...target.keys()])
    this.write(at, [...blocks].map((block) => ({ block, token: target.get(block) ?? 0 })))
  }
}

function replay (writes: TimedWrite[]): Image {
  const image: Image = new Map()
  for (const write of writes) {
    for (const { block, token } of write.changes) image.set(block, token)
  }
  return image
}

/** The digest the README documents for an image of fills. */
export function digestOf (image: Image): string {
  return digestOfContent(new Map([...image].map(([block, fill]) => [block, { fill }])))
}
