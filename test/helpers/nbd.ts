// For the NBD tests: a server over in-memory devices, the real tools as processes, and a raw
// socket client that speaks exactly the bytes a test wants (to play a bad client).
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { ExportTable } from '../../simulator/nbd/exports.js'
import { MemoryDevice } from '../../simulator/nbd/memory-device.js'
import type { BlockDevice } from '../../simulator/nbd/device.js'
import { listenNbd, type NbdServer } from '../../simulator/nbd/server.js'

const run = promisify(execFile)

export const MiB = 1024 * 1024

/** A server with `rw` (8 MiB) and `ro` (4 MiB, read-only) memory exports, closed at teardown. */
export async function memoryServer (t: Test, options: { secretNames?: boolean } = {}): Promise<{ server: NbdServer, names: { rw: string, ro: string }, uri: (name: string) => string }> {
  const exports = new ExportTable(options.secretNames ?? false)
  const names = {
    rw: exports.publish('rw', new MemoryDevice(8 * MiB)),
    ro: exports.publish('ro', new MemoryDevice(4 * MiB, { readOnly: true }))
  }
  const server = await listenNbd(exports, 0)
  t.teardown(() => server.close())
  return { server, names, uri: (name) => `nbd://127.0.0.1:${server.port}/${name}` }
}

/** A raw client in transmission with `device`, served alone; both closed at teardown. */
export async function openDevice<D extends BlockDevice> (t: Test, device: D): Promise<{ device: D, client: RawClient }> {
  const exports = new ExportTable(false)
  const name = exports.publish('device', device)
  const server = await listenNbd(exports, 0)
  t.teardown(() => server.close())
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.open(name)
  return { device, client }
}

/** A one-volume topology file of `size` bytes in dir; answers its path and ids. */
export async function oneVolumeTopology (dir: string, size: number): Promise<{ path: string, cluster: string, volume: string }> {
  const [cluster, volume, tenant, namespace] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
  const path = join(dir, 'topology.json')
  await writeFile(path, JSON.stringify({
    clusters: [{ uuid: cluster, name: 'nbd', mode: '', namespaces: [{ uuid: namespace }], hosts: [{ uuid: randomUUID(), maddr: '127.0.0.1', cdp_disks: [{ path: '/dev/sdz', capacity: 2 ** 40 }] }] }],
    tenants: [{ uuid: tenant, name: 'nbd' }],
    vms: [],
    volumes: [{ uuid: volume, name: 'nbd', size, cluster, namespace, tenant }]
  }))
  return { path, cluster, volume }
}

/** Runs one of the real tools; answers its stdout, or rejects with its stderr in the message. */
export async function tool (program: string, args: string[]): Promise<string> {
  const { stdout } = await run(program, args, { maxBuffer: 64 * MiB, encoding: 'utf8' })
  return stdout
}

/** A byte-level NBD client over one socket. */
export class RawClient {
  private chunks: Buffer[] = []
  private buffered = 0
  private ended = false
  private wake: (() => void) | undefined

  private constructor (readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.buffered += chunk.length
      this.wake?.()
    })
    socket.on('close', () => { this.ended = true; this.wake?.() })
    socket.on('error', () => {})
  }

  static async connect (port: number): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1')
    await once(socket, 'connect')
    return new RawClient(socket)
  }

  /** Exactly n bytes, or undefined if the server closed first. */
  async read (n: number): Promise<Buffer | undefined> {
    while (this.buffered < n) {
      if (this.ended) return undefined
      await new Promise<void>((resolve) => { this.wake = resolve })
    }
    const all = Buffer.concat(this.chunks)
    this.chunks = [all.subarray(n)]
    this.buffered -= n
    return all.subarray(0, n)
  }

  /** Resolves once the server has closed the connection. */
  async closed (): Promise<void> {
    while (!this.ended) await new Promise<void>((resolve) => { this.wake = resolve })
  }

  send (...parts: Buffer[]): void {
    this.socket.write(Buffer.concat(parts))
  }

  /** Reads the greeting and answers with fixed newstyle + no zeroes. */
  async greet (): Promise<Buffer> {
    const greeting = (await this.read(18))!
    this.send(u32(3))
    return greeting
  }

  option (option: number, data = Buffer.alloc(0)): void {
    this.send(u64(0x49484156454f5054n), u32(option), u32(data.length), data)
  }

  /** One option reply: its type and payload. */
  async optionReply (): Promise<{ option: number, type: number, data: Buffer }> {
    const header = (await this.read(20))!
    const data = (await this.read(header.readUInt32BE(16)))!
    return { option: header.readUInt32BE(8), type: header.readUInt32BE(12), data }
  }

  /** Negotiates structured replies and base:allocation, then NBD_OPT_GO into name. */
  async open (name: string): Promise<void> {
    await this.greet()
    this.option(8)
    await this.optionReply()
    this.option(10, Buffer.concat([str(name), u32(1), str('base:allocation')]))
    for (;;) if ((await this.optionReply()).type === 1) break
    this.option(7, Buffer.concat([str(name), u16(0)]))
    for (;;) {
      const reply = await this.optionReply()
      if (reply.type === 1) return
      if (reply.type !== 3) throw new Error(`NBD_OPT_GO refused: ${reply.type}`)
    }
  }

  request (type: number, handle: number, offset: number | bigint, length: number, flags = 0, payload = Buffer.alloc(0)): void {
    this.send(u32(0x25609513), u16(flags), u16(type), u64(BigInt(handle)), u64(BigInt(offset)), u32(length), payload)
  }

  /** One structured reply chunk. */
  async chunk (): Promise<{ flags: number, type: number, handle: number, data: Buffer } | undefined> {
    const header = await this.read(20)
    if (header === undefined) return undefined
    const data = (await this.read(header.readUInt32BE(16)))!
    return { flags: header.readUInt16BE(4), type: header.readUInt16BE(6), handle: Number(header.readBigUInt64BE(8)), data }
  }

  /** A reply's error value: 0 for success (a structured error chunk carries it first). */
  async errno (): Promise<number | undefined> {
    return (await this.refusal())?.errno
  }

  /** A reply's error value and message: 0 and no message for success. */
  async refusal (): Promise<{ errno: number, message: string } | undefined> {
    const reply = await this.chunk()
    if (reply === undefined) return undefined
    if (reply.type !== 0x8001) return { errno: 0, message: '' }
    return { errno: reply.data.readUInt32BE(0), message: reply.data.subarray(6, 6 + reply.data.readUInt16BE(4)).toString() }
  }

  close (): void {
    this.socket.destroy()
  }
}

export function u16 (value: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(value); return b }
export function u32 (value: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(value); return b }
export function u64 (value: bigint): Buffer { const b = Buffer.alloc(8); b.writeBigUInt64BE(value); return b }
export function str (text: string): Buffer { return Buffer.concat([u32(Buffer.byteLength(text)), Buffer.from(text)]) }
