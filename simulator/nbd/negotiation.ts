// The handshake: fixed newstyle negotiation, from the server's greeting to the export the
// client goes on to use (or its leaving). Options the server does not know, or cannot parse,
// get an error reply and the haggling goes on; only what the protocol says cannot be
// answered (a bad magic, unknown client flags, an unknown NBD_OPT_EXPORT_NAME) hangs up.
import type { Socket } from 'node:net'
import type { BlockDevice } from './device.js'
import type { Export, ExportTable } from './exports.js'
import {
  BASE_ALLOCATION, BASE_ALLOCATION_ID, FLAG_FIXED_NEWSTYLE, FLAG_NO_ZEROES, IHAVEOPT, INFO,
  MAX_OPTION_DATA, MAX_PAYLOAD, MAX_STRING, NBDMAGIC, OPT, OPTION_REPLY_MAGIC, REP, TFLAG
} from './protocol.js'
import type { SocketReader } from './socket-reader.js'

/** What negotiation settled, for the transmission phase. */
export interface Session {
  export: Export
  /** NBD_OPT_STRUCTURED_REPLY was acknowledged. */
  structured: boolean
  /** base:allocation was selected for this export. */
  blockStatus: boolean
}

/** The client broke a rule the protocol answers by hanging up. */
export class ProtocolViolation extends Error {}

/** An option's data did not parse: answered NBD_REP_ERR_INVALID. */
class Malformed extends Error {}

export function transmissionFlags (device: BlockDevice): number {
  let flags = TFLAG.HAS_FLAGS | TFLAG.SEND_FLUSH | TFLAG.SEND_FUA | TFLAG.CAN_MULTI_CONN
  if (device.readOnly) flags |= TFLAG.READ_ONLY
  else flags |= TFLAG.SEND_TRIM | TFLAG.SEND_WRITE_ZEROES
  return flags
}

/** Runs the handshake; answers the session, or undefined when the client aborted. */
export async function negotiate (socket: Socket, reader: SocketReader, exports: ExportTable): Promise<Session | undefined> {
  const greeting = Buffer.alloc(18)
  greeting.writeBigUInt64BE(NBDMAGIC, 0)
  greeting.writeBigUInt64BE(IHAVEOPT, 8)
  greeting.writeUInt16BE(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES, 16)
  socket.write(greeting)

  const clientFlags = (await reader.read(4)).readUInt32BE(0)
  if ((clientFlags & ~(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)) !== 0) throw new ProtocolViolation('unknown client flags')
  const noZeroes = (clientFlags & FLAG_NO_ZEROES) !== 0

  let structured = false
  let metaContextExport: string | undefined
  for (;;) {
    const header = await reader.read(16)
    if (header.readBigUInt64BE(0) !== IHAVEOPT) throw new ProtocolViolation('bad option magic')
    const option = header.readUInt32BE(8)
    const length = header.readUInt32BE(12)
    if (length > MAX_OPTION_DATA) throw new ProtocolViolation('option data too long')
    const data = await reader.read(length)
    const reply = (type: number, payload?: Buffer): void => { sendOptionReply(socket, option, type, payload) }
    const refuse = (type: number, message: string): void => { reply(type, Buffer.from(message)) }
    const session = (name: string, opened: Export): Session =>
      ({ export: opened, structured, blockStatus: structured && metaContextExport === name })

    try {
      switch (option) {
        case OPT.EXPORT_NAME: {
          const name = data.toString('utf8')
          const opened = exports.open(name)
          if (opened === undefined) throw new ProtocolViolation('unknown export')
          const info = Buffer.alloc(noZeroes ? 10 : 134)
          info.writeBigUInt64BE(BigInt(opened.device.size), 0)
          info.writeUInt16BE(transmissionFlags(opened.device), 8)
          socket.write(info)
          return session(name, opened)
        }
        case OPT.ABORT:
          reply(REP.ACK)
          return undefined
        case OPT.LIST:
          if (length !== 0) throw new Malformed('NBD_OPT_LIST takes no data')
          for (const name of exports.listed()) reply(REP.SERVER, lengthPrefixed(name))
          reply(REP.ACK)
          break
        case OPT.INFO:
        case OPT.GO: {
          const { name, requests } = parseInfoRequest(data)
          const opened = exports.open(name)
          if (opened === undefined) {
            refuse(REP.ERR_UNKNOWN, 'no such export')
            break
          }
          reply(REP.INFO, exportInfo(opened.device))
          if (requests.includes(INFO.BLOCK_SIZE)) reply(REP.INFO, blockSizeInfo(opened.device))
          reply(REP.ACK)
          if (option === OPT.GO) return session(name, opened)
          break
        }
        case OPT.STRUCTURED_REPLY:
          if (length !== 0) throw new Malformed('NBD_OPT_STRUCTURED_REPLY takes no data')
          structured = true
          reply(REP.ACK)
          break
        case OPT.LIST_META_CONTEXT:
        case OPT.SET_META_CONTEXT: {
          if (!structured) throw new Malformed('negotiate structured replies first')
          const { name, queries } = parseMetaContextRequest(data)
          if (option === OPT.SET_META_CONTEXT) metaContextExport = undefined
          if (exports.open(name) === undefined) {
            refuse(REP.ERR_UNKNOWN, 'no such export')
            break
          }
          const listing = option === OPT.LIST_META_CONTEXT
          const selected = listing
            ? queries.length === 0 || queries.some((query) => query === 'base:' || query === BASE_ALLOCATION)
            : queries.includes(BASE_ALLOCATION)
          if (selected) {
            reply(REP.META_CONTEXT, metaContext(listing ? 0 : BASE_ALLOCATION_ID))
            if (!listing) metaContextExport = name
          }
          reply(REP.ACK)
          break
        }
        default:
          refuse(REP.ERR_UNSUP, `option ${option} is not supported`)
      }
    } catch (error) {
      if (!(error instanceof Malformed)) throw error
      refuse(REP.ERR_INVALID, error.message)
    }
  }
}

function sendOptionReply (socket: Socket, option: number, type: number, payload: Buffer = Buffer.alloc(0)): void {
  const header = Buffer.alloc(20)
  header.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0)
  header.writeUInt32BE(option, 8)
  header.writeUInt32BE(type, 12)
  header.writeUInt32BE(payload.length, 16)
  socket.write(payload.length === 0 ? header : Buffer.concat([header, payload]))
}

function exportInfo (device: BlockDevice): Buffer {
  const info = Buffer.alloc(12)
  info.writeUInt16BE(INFO.EXPORT, 0)
  info.writeBigUInt64BE(BigInt(device.size), 2)
  info.writeUInt16BE(transmissionFlags(device), 10)
  return info
}

function blockSizeInfo (device: BlockDevice): Buffer {
  const info = Buffer.alloc(14)
  info.writeUInt16BE(INFO.BLOCK_SIZE, 0)
  info.writeUInt32BE(device.blockSize, 2)
  info.writeUInt32BE(Math.max(device.blockSize, 4096), 6)
  info.writeUInt32BE(MAX_PAYLOAD, 10)
  return info
}

function metaContext (id: number): Buffer {
  const name = Buffer.from(BASE_ALLOCATION)
  const out = Buffer.alloc(4 + name.length)
  out.writeUInt32BE(id, 0)
  name.copy(out, 4)
  return out
}

function lengthPrefixed (text: string): Buffer {
  const bytes = Buffer.from(text)
  const out = Buffer.alloc(4 + bytes.length)
  out.writeUInt32BE(bytes.length, 0)
  bytes.copy(out, 4)
  return out
}

/** Reads an option's fields in order, refusing data that is short, long or not a string. */
class OptionData {
  private at = 0
  constructor (private readonly data: Buffer) {}

  uint16 (): number {
    this.need(2)
    this.at += 2
    return this.data.readUInt16BE(this.at - 2)
  }

  uint32 (): number {
    this.need(4)
    this.at += 4
    return this.data.readUInt32BE(this.at - 4)
  }

  /** A 32-bit length, then that many bytes of UTF-8. */
  string (): string {
    const length = this.uint32()
    if (length > MAX_STRING) throw new Malformed('string too long')
    this.need(length)
    const text = this.data.toString('utf8', this.at, this.at + length)
    this.at += length
    if (text.includes('\0') || text.includes('\uFFFD')) throw new Malformed('string is not NUL-free UTF-8')
    return text
  }

  end (): void {
    if (this.at !== this.data.length) throw new Malformed('trailing option data')
  }

  private need (bytes: number): void {
    if (this.at + bytes > this.data.length) throw new Malformed('option data too short')
  }
}

function parseInfoRequest (data: Buffer): { name: string, requests: number[] } {
  const reader = new OptionData(data)
  const name = reader.string()
  const requests = Array.from({ length: reader.uint16() }, () => reader.uint16())
  reader.end()
  return { name, requests }
}

function parseMetaContextRequest (data: Buffer): { name: string, queries: string[] } {
  const reader = new OptionData(data)
  const name = reader.string()
  const count = reader.uint32()
  if (count > MAX_OPTION_DATA / 4) throw new Malformed('too many queries')
  const queries = Array.from({ length: count }, () => reader.string())
  reader.end()
  return { name, queries }
}
