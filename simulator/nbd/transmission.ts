// The transmission phase: requests in the order they arrive, each answered once the device
// has done it (a write's reply means it is applied; FLUSH follows every earlier write), the
// replies in request order. Reads are asked of the device ahead, up to READS_AHEAD_BYTES, so
// a device in another thread works on the next while this one writes the last; contiguous
// READs go to the device as one read (up to READ_RUN_BYTES), each answered with its own part
// of the bytes. Any other request waits until the reads before it are answered. A request the
// export cannot serve gets an NBD error and the connection goes on; only a bad request
// magic (the stream is lost) or the client leaving ends it.
// Replies are held back while further requests are already buffered, and go out
// together before the server waits on the client, so a queue of requests costs one socket
// write, not one each, and no reply waits for a request the client has not sent.
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { NbdError, type BlockDevice } from './device.js'
import type { Session } from './negotiation.js'
import { ProtocolViolation } from './negotiation.js'
import {
  BASE_ALLOCATION_ID, CMD, CMD_FLAG, ERRNO, type Errno, MAX_PAYLOAD, REPLY_FLAG_DONE, REPLY_TYPE,
  REQUEST_MAGIC, SIMPLE_REPLY_MAGIC, STATE_HOLE, STATE_ZERO, STRUCTURED_REPLY_MAGIC
} from './protocol.js'
import type { SocketReader } from './socket-reader.js'

interface Request {
  flags: number
  type: number
  handle: Buffer
  offset: number
  length: number
}

/** The command flags each command may carry (FUA is valid on all, as NBD_FLAG_SEND_FUA is set). */
const ALLOWED_FLAGS: Record<number, number> = {
  [CMD.READ]: CMD_FLAG.FUA,
  [CMD.WRITE]: CMD_FLAG.FUA,
  [CMD.DISC]: CMD_FLAG.FUA,
  [CMD.FLUSH]: CMD_FLAG.FUA,
  [CMD.TRIM]: CMD_FLAG.FUA,
  [CMD.WRITE_ZEROES]: CMD_FLAG.FUA | CMD_FLAG.NO_HOLE,
  [CMD.BLOCK_STATUS]: CMD_FLAG.FUA | CMD_FLAG.REQ_ONE
}

/** Bytes of replies queued before reading the next request waits for the client. */
const REPLY_BACKLOG = 8 * 1024 * 1024
/** Bytes of replies held back at most before they go out, requests waiting or not. */
const REPLY_BATCH = 1024 * 1024
/**
 * Bytes of contiguous READs asked of the device as one read at most. A device call has a cost
 * of its own (through the simulator's worker: two messages, a statement, a Buffer): 256 MiB
 * read through the worker in 256 KiB calls (nbdcopy's size) cost 320-540 ms of CPU, in 1 MiB
 * calls 220-330 ms, in 2 MiB calls no less.
 */
const READ_RUN_BYTES = 1024 * 1024
/** Bytes of reads under way at most before the oldest one's reply is awaited: two runs, so the device has the next while this thread writes the last; 8 MiB held replies back longer and cost more CPU. */
const READS_AHEAD_BYTES = 2 * READ_RUN_BYTES

const WRITES: number[] = [CMD.WRITE, CMD.TRIM, CMD.WRITE_ZEROES]
/** Requests that change nothing: they may be under way together. */
const READS: number[] = [CMD.READ, CMD.BLOCK_STATUS]

/** A request's reply: the parts that go to the socket, in order. */
type Reply = Uint8Array[]

/** Replies held back until the server would wait on the client, then written together. */
class HeldReplies {
  private parts: Uint8Array[] = []
  private bytes = 0

  constructor (private readonly socket: Socket) {}

  write (reply: Reply): void {
    for (const part of reply) {
      this.parts.push(part)
      this.bytes += part.length
    }
    if (this.bytes > REPLY_BATCH) this.send()
  }

  /** Writes every held reply in one go (one writev when the socket is idle). */
  send (): void {
    if (this.parts.length === 0) return
    this.socket.cork()
    for (const part of this.parts) this.socket.write(part)
    this.socket.uncork()
    this.parts = []
    this.bytes = 0
  }
}

/** Contiguous READs not yet asked of the device: asked as one read, each answered with its part. */
class ReadRun {
  length = 0
  /** The READs that joined it. */
  count = 0
  private ask: (bytes: Promise<Uint8Array>) => void = () => {}
  private readonly bytes = new Promise<Uint8Array>((resolve) => { this.ask = resolve })

  constructor (private readonly session: Session, readonly offset: number) {}

  continuedBy (request: Request): boolean {
    return request.offset === this.offset + this.length && this.length + request.length <= READ_RUN_BYTES
  }

  /** Adds a READ that continues the run; answers its reply, once the run is read. */
  join (request: Request): Promise<Reply> {
    const from = this.length
    this.length += request.length
    this.count++
    return this.bytes.then(
      (bytes) => dataReply(this.session, request, bytes.subarray(from, from + request.length)),
      (error: unknown) => failureReply(this.session, request, error))
  }

  /** Asks the device for the run's bytes. */
  read (): void {
    const { device } = this.session.export
    this.ask((async () => await device.read(this.offset, this.length))())
  }
}

/** Reads under way, oldest first, each reply written to `out` in request order. */
class ReadsAhead {
  private readonly reads: Array<{ reply: Promise<Reply>, bytes: number, settled: boolean }> = []
  /** The newest reads, while they may yet be joined by more. */
  private run: ReadRun | undefined
  /** What the reads under way asked for. */
  bytes = 0

  constructor (private readonly out: HeldReplies, private readonly session: Session) {}

  /** A READ the export serves: it joins the run it continues, or starts one. */
  addRead (request: Request): void {
    if (this.run !== undefined && !this.run.continuedBy(request)) this.readRun()
    this.run ??= new ReadRun(this.session, request.offset)
    this.push(this.run.join(request), request.length)
    if (this.run.length >= READ_RUN_BYTES) this.readRun()
  }

  /** Any other read (a refused READ, BLOCK_STATUS): asked already, it ends the run before it. */
  add (reply: Promise<Reply>, bytes: number): void {
    this.readRun()
    this.push(reply, bytes)
  }

  async answerOldest (): Promise<void> {
    // The run is read once its oldest READ is the oldest read: until then, it may grow.
    if (this.run !== undefined && this.run.count === this.reads.length) this.readRun()
    const oldest = this.reads.shift()!
    this.bytes -= oldest.bytes
    // Waiting on the device is waiting too: the replies done so far go out first.
    if (!oldest.settled) this.out.send()
    this.out.write(await oldest.reply)
  }

  async answerAll (): Promise<void> {
    this.readRun()
    while (this.reads.length > 0) await this.answerOldest()
  }

  private push (reply: Promise<Reply>, bytes: number): void {
    const read = { reply, bytes, settled: false }
    void reply.then(() => { read.settled = true })
    this.reads.push(read)
    this.bytes += bytes
  }

  private readRun (): void {
    this.run?.read()
    this.run = undefined
  }
}

/** Serves requests until NBD_CMD_DISC. */
export async function transmit (socket: Socket, reader: SocketReader, session: Session): Promise<void> {
  const out = new HeldReplies(socket)
  const ahead = new ReadsAhead(out, session)
  // What the client has sent already is read without a word; before waiting, replies go out.
  const read = async (length: number): Promise<Buffer> => {
    if (!reader.holds(length)) {
      await ahead.answerAll()
      out.send()
    }
    return await reader.read(length)
  }
  for (;;) {
    const header = await read(28)
    if (header.readUInt32BE(0) !== REQUEST_MAGIC) throw new ProtocolViolation('bad request magic')
    const request: Request = {
      flags: header.readUInt16BE(4),
      type: header.readUInt16BE(6),
      handle: Buffer.from(header.subarray(8, 16)),
      // Past 2^53 it is out of range whatever the export, so a rounded number will do.
      offset: Number(header.readBigUInt64BE(16)),
      length: header.readUInt32BE(24)
    }
    if (READS.includes(request.type)) {
      if (request.type === CMD.READ && refusalOf(session, request) === undefined) ahead.addRead(request)
      else ahead.add(serve(session, request, undefined), request.length)
      while (ahead.bytes > READS_AHEAD_BYTES) await ahead.answerOldest()
    } else {
      // A write, FLUSH or DISC follows the reads before it.
      await ahead.answerAll()
      if (request.type === CMD.DISC) {
        out.send()
        return
      }
      let payload: Buffer | undefined
      if (request.type === CMD.WRITE) {
        // The payload follows whatever the verdict, and must be consumed to stay in step.
        if (request.length > MAX_PAYLOAD) {
          out.send()
          await reader.skip(request.length)
          out.write(errorReply(session, request, ERRNO.EINVAL, `a write carries at most ${MAX_PAYLOAD} bytes`))
          continue
        }
        payload = await read(request.length)
      }
      out.write(await serve(session, request, payload))
    }
    // Replies may queue up to a few requests' worth; a client that stops reading stops us.
    if (socket.writableLength > REPLY_BACKLOG) {
      out.send()
      await once(socket, 'drain')
    }
  }
}

/** The reply to a request, an NBD error if the export cannot serve it; the device is asked at once. */
async function serve (session: Session, request: Request, payload: Buffer | undefined): Promise<Reply> {
  const refusal = refusalOf(session, request)
  if (refusal !== undefined) return errorReply(session, request, refusal.errno, refusal.message)
  try {
    return await execute(session, request, payload)
  } catch (error) {
    return failureReply(session, request, error)
  }
}

/** Why the export cannot serve the request, if it cannot. */
function refusalOf (session: Session, request: Request): { errno: Errno, message: string } | undefined {
  const { device, revoked } = session.export
  return revoked.aborted ? { errno: ERRNO.ESHUTDOWN, message: 'the export was withdrawn' } : check(request, device, session)
}

/** The reply to a request the device failed: its NbdError, or EIO for anything else. */
function failureReply (session: Session, request: Request, error: unknown): Reply {
  if (error instanceof NbdError) return errorReply(session, request, error.errno, error.message)
  return errorReply(session, request, ERRNO.EIO, 'the export failed to serve the request')
}

function check (request: Request, device: BlockDevice, session: Session): { errno: Errno, message: string } | undefined {
  const allowed = ALLOWED_FLAGS[request.type]
  if (allowed === undefined) return { errno: ERRNO.EINVAL, message: `unknown command ${request.type}` }
  if ((request.flags & ~allowed) !== 0) return { errno: ERRNO.EINVAL, message: 'command flags not valid for this command' }
  if (request.type === CMD.FLUSH) {
    return request.offset === 0 && request.length === 0 ? undefined : { errno: ERRNO.EINVAL, message: 'FLUSH takes no offset or length' }
  }
  if (WRITES.includes(request.type) && device.readOnly) return { errno: ERRNO.EPERM, message: 'the export is read-only' }
  if (request.type === CMD.BLOCK_STATUS && !session.blockStatus) {
    return { errno: ERRNO.EINVAL, message: 'no metadata context was selected' }
  }
  if (request.length === 0) return { errno: ERRNO.EINVAL, message: 'zero length' }
  if (request.offset + request.length > device.size) {
    return { errno: WRITES.includes(request.type) ? ERRNO.ENOSPC : ERRNO.EINVAL, message: 'beyond the end of the export' }
  }
  if (request.offset % device.blockSize !== 0 || request.length % device.blockSize !== 0) {
    return { errno: ERRNO.EINVAL, message: `offset and length must be multiples of ${device.blockSize}` }
  }
  if (request.type === CMD.READ && request.length > MAX_PAYLOAD) {
    return { errno: ERRNO.EINVAL, message: `a read asks for at most ${MAX_PAYLOAD} bytes` }
  }
  return undefined
}

async function execute (session: Session, request: Request, payload: Buffer | undefined): Promise<Reply> {
  const { device } = session.export
  const { offset, length } = request
  // READs go through a ReadRun.
  switch (request.type) {
    case CMD.WRITE:
      await device.write(offset, payload!)
      break
    case CMD.FLUSH:
      await device.flush()
      break
    case CMD.TRIM:
      await device.trim(offset, length)
      break
    case CMD.WRITE_ZEROES:
      await device.writeZeroes(offset, length)
      break
    case CMD.BLOCK_STATUS:
      return blockStatusReply(request, await device.extents(offset, length))
  }
  // FUA asks for the write to be durable before the reply; every write here is.
  return doneReply(session, request)
}

function doneReply (session: Session, request: Request): Reply {
  return [session.structured ? chunkHeader(request, REPLY_FLAG_DONE, REPLY_TYPE.NONE, 0) : simpleHeader(request, 0)]
}

function dataReply (session: Session, request: Request, data: Uint8Array): Reply {
  if (!session.structured) return [simpleHeader(request, 0), data]
  const header = chunkHeader(request, REPLY_FLAG_DONE, REPLY_TYPE.OFFSET_DATA, 8 + data.length, 8)
  header.writeBigUInt64BE(BigInt(request.offset), 20)
  return [header, data]
}

function blockStatusReply (request: Request, extents: Array<{ length: number, hole: boolean, zero: boolean }>): Reply {
  const wanted = (request.flags & CMD_FLAG.REQ_ONE) !== 0 ? extents.slice(0, 1) : extents
  const descriptors: Array<[number, number]> = []
  let covered = 0
  for (const extent of wanted) {
    const length = Math.min(extent.length, request.length - covered)
    if (length <= 0) break
    descriptors.push([length, (extent.hole ? STATE_HOLE : 0) | (extent.zero ? STATE_ZERO : 0)])
    covered += length
  }
  const body = 4 + 8 * descriptors.length
  const reply = chunkHeader(request, REPLY_FLAG_DONE, REPLY_TYPE.BLOCK_STATUS, body, body)
  reply.writeUInt32BE(BASE_ALLOCATION_ID, 20)
  descriptors.forEach(([length, status], i) => {
    reply.writeUInt32BE(length, 24 + 8 * i)
    reply.writeUInt32BE(status, 28 + 8 * i)
  })
  return [reply]
}

function errorReply (session: Session, request: Request, errno: Errno, message: string): Reply {
  if (!session.structured) return [simpleHeader(request, errno)]
  const text = Buffer.from(message)
  const reply = chunkHeader(request, REPLY_FLAG_DONE, REPLY_TYPE.ERROR, 6 + text.length, 6 + text.length)
  reply.writeUInt32BE(errno, 20)
  reply.writeUInt16BE(text.length, 24)
  text.copy(reply, 26)
  return [reply]
}

function simpleHeader (request: Request, errno: number): Buffer {
  const header = Buffer.alloc(16)
  header.writeUInt32BE(SIMPLE_REPLY_MAGIC, 0)
  header.writeUInt32BE(errno, 4)
  request.handle.copy(header, 8)
  return header
}

/** A structured reply chunk's header, with room for `extra` payload bytes after it. */
function chunkHeader (request: Request, flags: number, type: number, length: number, extra = 0): Buffer {
  const header = Buffer.alloc(20 + extra)
  header.writeUInt32BE(STRUCTURED_REPLY_MAGIC, 0)
  header.writeUInt16BE(flags, 4)
  header.writeUInt16BE(type, 6)
  request.handle.copy(header, 8)
  header.writeUInt32BE(length, 16)
  return header
}
