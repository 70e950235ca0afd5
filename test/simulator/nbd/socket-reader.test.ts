// SocketReader over a stand-in socket whose chunks the test chooses: reads answer exactly the
// bytes asked, in stream order, however the stream was cut; the socket is paused once 1 MiB
// waits unread and resumed only when a read needs more; a hang-up fails the reads it starves.
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import fc from 'fast-check'
import t from 'tap'
import { ClientGone, SocketReader } from '../../../simulator/nbd/socket-reader.js'

const MiB = 1024 * 1024
const SEED = Number(process.env.SOCKET_READER_SEED ?? Date.now() % 2 ** 31)

/** The events SocketReader listens to, and a record of its pause() and resume() calls. */
class StandInSocket extends EventEmitter {
  paused = false
  pauses = 0
  resumes = 0
  pause (): this { this.paused = true; this.pauses++; return this }
  resume (): this { this.paused = false; this.resumes++; return this }
  data (bytes: Buffer): void { this.emit('data', bytes) }
}

function readerOver (): { socket: StandInSocket, reader: SocketReader } {
  const socket = new StandInSocket()
  return { socket, reader: new SocketReader(socket as unknown as Socket) }
}

/** How a read or skip ended by the next turn of the event loop: 'gone' (ClientGone), 'done', 'failed' or 'waiting'. */
async function outcome (pending: Promise<unknown>): Promise<string> {
  const ended = pending.then(() => 'done', (error: unknown) => error instanceof ClientGone ? 'gone' : 'failed')
  return await Promise.race([ended, settle().then(() => 'waiting')])
}

/** Lets pending reads run. */
async function settle (): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
}

t.test(`reads and skips answer the stream in order, however it is cut into chunks (SOCKET_READER_SEED=${SEED})`, async (t) => {
  const step = fc.record({ skip: fc.boolean(), length: fc.integer({ min: 1, max: 64 }) })
  await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }), fc.array(step, { minLength: 1, maxLength: 30 }), async (stream, cuts, steps) => {
    const { socket, reader } = readerOver()
    const bytes = Buffer.from(stream)
    // The chunks arrive while the reads wait, one per turn of the event loop.
    void (async () => {
      let at = 0
      for (let i = 0; at < bytes.length; i++) {
        const length = cuts[i % cuts.length]!
        socket.data(bytes.subarray(at, at + length))
        at += length
        await settle()
      }
    })()
    let at = 0
    for (const { skip, length } of steps) {
      if (at + length > bytes.length) break
      if (skip) await reader.skip(length)
      else if (!Buffer.from(await reader.read(length)).equals(bytes.subarray(at, at + length))) return false
      at += length
    }
    return true
  }), { seed: SEED })
  t.pass('held for every generated case')
})

t.test('a read across chunks copies them whole; skip drops bytes without holding them', async (t) => {
  const { socket, reader } = readerOver()
  socket.data(Buffer.from('abc'))
  socket.data(Buffer.from('defg'))
  socket.data(Buffer.from('hi'))
  t.equal((await reader.read(8)).toString(), 'abcdefgh', 'three chunks, the last one cut')
  t.equal((await reader.read(1)).toString(), 'i')
  socket.data(Buffer.from('jklmnop'))
  await reader.skip(3)
  t.equal((await reader.read(2)).toString(), 'mn', 'skip dropped jkl')
  t.ok(reader.holds(2), 'op is held')
  t.notOk(reader.holds(3), 'and no more')
  const skipping = reader.skip(5)
  socket.data(Buffer.from('qr'))
  await settle()
  socket.data(Buffer.from('stu'))
  await skipping
  t.equal((await reader.read(1)).toString(), 't', 'a skip waits for the bytes it drops: o p q r s')
})

t.test('holds says whether a read of that length would wait', async (t) => {
  const { socket, reader } = readerOver()
  t.ok(reader.holds(0))
  t.notOk(reader.holds(1))
  socket.data(Buffer.alloc(10))
  socket.data(Buffer.alloc(6))
  t.ok(reader.holds(16), 'all that arrived, over two chunks')
  t.notOk(reader.holds(17))
  await reader.read(12)
  t.ok(reader.holds(4))
  t.notOk(reader.holds(5), 'what was read is no longer held')
})

t.test('the socket is paused once 1 MiB waits unread, and resumed only when a read needs more than is held', async (t) => {
  const { socket, reader } = readerOver()
  socket.data(Buffer.alloc(MiB - 1))
  t.equal(socket.pauses, 0, '1 MiB less a byte: still flowing')
  socket.data(Buffer.alloc(1))
  t.equal(socket.pauses, 1, 'exactly 1 MiB: paused')
  await reader.read(MiB)
  t.equal(socket.resumes, 0, 'a read of what is held does not resume it')
  const waiting = reader.read(10)
  await settle()
  t.equal(socket.resumes, 1, 'a read that needs more resumes it')
  t.notOk(socket.paused)
  socket.data(Buffer.alloc(4))
  await settle()
  socket.data(Buffer.alloc(6))
  t.equal((await waiting).length, 10)
})

t.test('a hang-up fails a read that lacks bytes with ClientGone, and not what had arrived before it', async (t) => {
  for (const event of ['end', 'close', 'error']) {
    const { socket, reader } = readerOver()
    socket.data(Buffer.from('abcd'))
    const waiting = reader.read(6)
    await settle()
    socket.emit(event, new Error('reset'))
    t.equal(await outcome(waiting), 'gone', `${event} while a read waits`)
    const after = readerOver()
    after.socket.data(Buffer.from('abcd'))
    after.socket.emit(event, new Error('reset'))
    t.equal((await after.reader.read(4)).toString(), 'abcd', `${event}: the bytes that arrived are still read`)
    t.equal(await outcome(after.reader.read(1)), 'gone', `${event}: then reads fail at once`)
    t.equal(await outcome(after.reader.skip(1)), 'gone', `${event}: and skips`)
  }
})
