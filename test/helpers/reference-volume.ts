// A naive model of one volume for the simulator's property tests: it keeps every write ever
// made with its time (never folded) and when CDP was on, and finds the image at a time by
// replaying from the start. Slow and obviously right, which is the point. It shares no code
// with simulator/.
import { type Content, contentKey, digestOf as digestOfContent, ZERO } from '../simulator/model/content.js'

/** A block set to a token's content. */
export interface BlockChange { block: number, token: number }

/** Block index → token; a block never written is zero. */
export type Image = Map<number, number>

interface TimedWrite { time: bigint, changes: BlockChange[] }
interface OnPeriod { from: bigint, to: bigint | null }

export class ReferenceVolume {
  private readonly writes: TimedWrite[] = []
  private readonly onPeriods: OnPeriod[] = []

  /** Every write made, in order: `at` ns and what it wrote. */
  write (at: bigint, changes: BlockChange[]): void {
    this.writes.push({ time: at, changes })
  }

  enable (at: bigint): void {
    if (this.isOn()) return
    this.onPeriods.push({ from: at, to: null })
  }

  disable (at: bigint): void {
    const current = this.onPeriods.at(-1)
    if (current !== undefined && current.to === null) current.to = at
  }

  isOn (): boolean {
    return this.onPeriods.at(-1)?.to === null
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

  /** Whether [from, to] lies inside one stretch of time when CDP was on (`now` ends the open one). */
  wasOnThroughout (from: bigint, to: bigint, now: bigint): boolean {
    return this.onPeriods.some((p) => p.from <= from && to <= (p.to ?? now))
  }

  /** Times at which something was written, for sampling points where images change. */
  writeTimes (): bigint[] {
    return [...new Set(this.writes.map((w) => w.time))]
  }
}

function replay (writes: TimedWrite[]): Image {
  const image: Image = new Map()
  for (const write of writes) {
    for (const { block, token } of write.changes) image.set(block, token)
  }
  return image
}

// The model's own tokens: one per distinct block content the test wrote (0 for zeros). Images
// are digested by test/simulator/model/content.ts from the bytes those contents stand for, as docs/simulator.md
// documents the digest, not by the simulator's code.
const contents: Content[] = [ZERO]
const tokens = new Map<string, number>([[contentKey(ZERO), 0]])

/** The model's token for a block of one repeated byte. */
export function fillToken (fill: number): number {
  const content: Content = { fill }
  const key = contentKey(content)
  let token = tokens.get(key)
  if (token === undefined) {
    token = contents.push(content) - 1
    tokens.set(key, token)
  }
  return token
}

/** The documented digest of an image, from the bytes its tokens stand for. */
export function digestOf (image: Image): string {
  return digestOfContent(new Map([...image].map(([block, token]) => [block, contents[token] ?? ZERO])))
}
