// A sparse in-memory BlockDevice: pages appear when first written and go when trimmed or
// zeroed whole, so base:allocation reports the unwritten space as holes. Tests and the
// benchmarks serve it; the simulator's exports serve volumes instead.
import type { BlockDevice, Extent } from './device.js'

const PAGE = 256 * 1024

export class MemoryDevice implements BlockDevice {
  readonly readOnly: boolean
  readonly blockSize: number
  private readonly pages = new Map<number, Buffer>()

  constructor (readonly size: number, options: { readOnly?: boolean, blockSize?: number } = {}) {
    this.readOnly = options.readOnly ?? false
    this.blockSize = options.blockSize ?? 512
  }

  read (offset: number, length: number): Uint8Array {
    // A copy: the reply may still sit in the socket's buffer when a later write lands.
    const out = Buffer.allocUnsafe(length)
    this.eachPage(offset, length, (page, from, to, at) => {
      const stored = this.pages.get(page)
      if (stored === undefined) out.fill(0, at, at + to - from)
      else stored.copy(out, at, from, to)
    })
    return out
  }

  write (offset: number, data: Uint8Array): void {
    this.eachPage(offset, data.length, (page, from, to, at) => {
      let stored = this.pages.get(page)
      if (stored === undefined) {
        stored = Buffer.alloc(Math.min(PAGE, this.size - page * PAGE))
        this.pages.set(page, stored)
      }
      stored.set(data.subarray(at, at + to - from), from)
    })
  }

  flush (): void {}

  trim (offset: number, length: number): void {
    this.writeZeroes(offset, length)
  }

  writeZeroes (offset: number, length: number): void {
    this.eachPage(offset, length, (page, from, to) => {
      const stored = this.pages.get(page)
      if (stored === undefined) return
      if (from === 0 && to === stored.length) this.pages.delete(page)
      else stored.fill(0, from, to)
    })
  }

  extents (offset: number, length: number): Extent[] {
    const extents: Extent[] = []
    this.eachPage(offset, length, (page, from, to) => {
      const hole = !this.pages.has(page)
      const last = extents.at(-1)
      if (last !== undefined && last.hole === hole) last.length += to - from
      else extents.push({ length: to - from, hole, zero: hole })
    })
    return extents
  }

  /** Calls visit for each page the byte range touches: its index, the range within it, and where that range starts in the request. */
  private eachPage (offset: number, length: number, visit: (page: number, from: number, to: number, at: number) => void): void {
    let at = 0
    while (at < length) {
      const position = offset + at
      const page = Math.floor(position / PAGE)
      const from = position - page * PAGE
      const to = Math.min(PAGE, from + length - at)
      visit(page, from, to, at)
      at += to - from
    }
  }
}
