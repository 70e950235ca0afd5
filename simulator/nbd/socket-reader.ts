// Reads exact byte counts from a socket, for a protocol that says how long each part is.
// It buffers at most what the current read needs (or HIGH_WATER when reading ahead), pausing
// the socket beyond that, so a client cannot make the server hold more than one request.
import type { Socket } from 'node:net'

const HIGH_WATER = 1024 * 1024

/** The client hung up, or the connection broke. */
export class ClientGone extends Error {}

export class SocketReader {
  private chunks: Buffer[] = []
  private buffered = 0
  private wake: (() => void) | undefined
  private gone = false

  constructor (private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.buffered += chunk.length
      if (this.buffered >= HIGH_WATER) socket.pause()
      this.notify()
    })
    const hangUp = (): void => {
      this.gone = true
      this.notify()
    }
    socket.on('end', hangUp)
    socket.on('close', hangUp)
    socket.on('error', hangUp)
  }

  /** Exactly length bytes; rejects with ClientGone if the connection ends first. */
  async read (length: number): Promise<Buffer> {
    await this.fill(length)
    const first = this.chunks[0]
    if (first !== undefined && first.length >= length) return this.takeFromFirst(length)
    const out = Buffer.allocUnsafe(length)
    let at = 0
    while (at < length) at += this.takeFromFirst(length - at).copy(out, at)
    return out
  }

  /** Whether length bytes are here already, so that reading them waits for nothing. */
  holds (length: number): boolean {
    return this.buffered >= length
  }

  /** Drops length bytes as they arrive, holding none of them. */
  async skip (length: number): Promise<void> {
    let left = length
    while (left > 0) {
      await this.fill(1)
      left -= this.takeFromFirst(left).length
    }
  }

  private async fill (length: number): Promise<void> {
    while (this.buffered < length) {
      if (this.gone) throw new ClientGone('client hung up')
      this.socket.resume()
      await new Promise<void>((resolve) => { this.wake = resolve })
    }
  }

  private takeFromFirst (most: number): Buffer {
    const first = this.chunks[0]!
    if (first.length <= most) {
      this.chunks.shift()
      this.buffered -= first.length
      return first
    }
    this.chunks[0] = first.subarray(most)
    this.buffered -= most
    return first.subarray(0, most)
  }

  private notify (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}
