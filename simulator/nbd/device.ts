// What an NBD export serves: a range of bytes with these operations. The server checks
// bounds, alignment and read-only before it calls any of them, so a device only does the work.
import type { Errno } from './protocol.js'

type Awaitable<T> = T | Promise<T>

/** A run of bytes with one base:allocation state. */
export interface Extent {
  length: number
  /** Not stored: reading it costs nothing and returns zeros. */
  hole: boolean
  /** Reads as zeros. */
  zero: boolean
}

export interface BlockDevice {
  /** Bytes. */
  readonly size: number
  readonly readOnly: boolean
  /** Requests must be aligned to this many bytes (a power of two). */
  readonly blockSize: number
  read: (offset: number, length: number) => Awaitable<Uint8Array>
  write: (offset: number, data: Uint8Array) => Awaitable<void>
  /** Resolves once everything written before it is durable. */
  flush: () => Awaitable<void>
  trim: (offset: number, length: number) => Awaitable<void>
  writeZeroes: (offset: number, length: number) => Awaitable<void>
  /** Consecutive extents from offset, covering at most length (at least one). */
  extents: (offset: number, length: number) => Awaitable<Extent[]>
}

/** A device's refusal, answered to the client with this NBD error value. */
export class NbdError extends Error {
  constructor (readonly errno: Errno, message: string) {
    super(message)
  }
}
