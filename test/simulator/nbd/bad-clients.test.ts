// Clients that break the protocol, over raw sockets: each gets the NBD error the protocol
// names (or, where the protocol says so, a closed connection), and the server goes on
// serving everyone else.
import t, { type Test } from 'tap'
import { MemoryDevice } from '../../../simulator/nbd/memory-device.js'
import { MiB, memoryServer, openDevice, RawClient, str, tool, u16, u32, u64 } from '../../helpers/nbd.js'

const OPT_GO = 7
const OPT_LIST = 3
const OPT_STRUCTURED_REPLY = 8
const CMD = { READ: 0, WRITE: 1, DISC: 2, FLUSH: 3, TRIM: 4, WRITE_ZEROES: 6, BLOCK_STATUS: 7 }
const EPERM = 1
const EINVAL = 22
const ENOSPC = 28
const ESHUTDOWN = 108
const REP_ERR_UNSUP = 2 ** 31 + 1
const REP_ERR_INVALID = 2 ** 31 + 3
const REP_ERR_UNKNOWN = 2 ** 31 + 6

/** After a bad client, a real tool still reads the export. */
async function stillServes (t: Test, uri: string): Promise<void> {
  t.match(await tool('nbdinfo', ['--size', uri]), /^\d+/, 'the server still serves others')
}

t.test('unknown, malformed and out-of-order options get error replies and the haggling goes on', async (t) => {
  const { server, names, uri } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.greet()
  client.option(999, Buffer.from('junk'))
  t.match(await client.optionReply(), { option: 999, type: REP_ERR_UNSUP })
  client.option(OPT_LIST, Buffer.from('x'))
  t.match(await client.optionReply(), { type: REP_ERR_INVALID }, 'NBD_OPT_LIST with data')
  client.option(OPT_GO, Buffer.concat([u32(100), Buffer.from('rw')]))
  t.match(await client.optionReply(), { type: REP_ERR_INVALID }, 'a name longer than the option')
  client.option(OPT_GO, Buffer.concat([str('nope'), u16(0)]))
  t.match(await client.optionReply(), { type: REP_ERR_UNKNOWN }, 'an unknown export')
  client.option(10, Buffer.concat([str('rw'), u32(1), str('base:allocation')]))
  t.match(await client.optionReply(), { type: REP_ERR_INVALID }, 'meta context before structured replies')
  client.option(OPT_GO, Buffer.concat([str(names.rw), u16(0)]))
  t.match(await client.optionReply(), { type: 3 }, 'NBD_REP_INFO')
  t.match(await client.optionReply(), { type: 1 }, 'then NBD_REP_ACK: the client is in')
  await stillServes(t, uri(names.rw))
})

t.test('a bad option magic, unknown client flags or an unknown NBD_OPT_EXPORT_NAME close the connection', async (t) => {
  const { server, names, uri } = await memoryServer(t)
  const badMagic = await RawClient.connect(server.port)
  await badMagic.greet()
  badMagic.send(Buffer.alloc(16, 0xff))
  await badMagic.closed()
  const badFlags = await RawClient.connect(server.port)
  await badFlags.read(18)
  badFlags.send(u32(0x80))
  await badFlags.closed()
  const unknown = await RawClient.connect(server.port)
  await unknown.greet()
  unknown.option(1, Buffer.from('nope'))
  await unknown.closed()
  t.pass('all three closed')
  await stillServes(t, uri(names.rw))
})

t.test('requests an export cannot serve get the protocol\'s error values and say why, and the connection goes on', async (t) => {
  const { server, names } = await memoryServer(t)
  const rw = await RawClient.connect(server.port)
  const ro = await RawClient.connect(server.port)
  t.teardown(() => { rw.close(); ro.close() })
  await rw.open(names.rw)
  await ro.open(names.ro)
  const cases: Array<[string, RawClient, () => void, number, RegExp]> = [
    ['unknown command', rw, () => rw.request(42, 1, 0, 512), EINVAL, /^unknown command 42$/],
    ['a flag the command does not take', rw, () => rw.request(CMD.READ, 2, 0, 512, 1 << 3), EINVAL, /^command flags not valid for this command$/],
    ['a read past the end', rw, () => rw.request(CMD.READ, 3, 8 * MiB - 512, 1024), EINVAL, /^beyond the end of the export$/],
    ['a read at an offset past 2^63', rw, () => rw.request(CMD.READ, 4, 2n ** 63n, 512), EINVAL, /^beyond the end/],
    ['a write past the end', rw, () => rw.request(CMD.WRITE, 5, 8 * MiB, 512, 0, Buffer.alloc(512)), ENOSPC, /^beyond the end of the export$/],
    ['an unaligned read', rw, () => rw.request(CMD.READ, 6, 100, 512), EINVAL, /^offset and length must be multiples of 512$/],
    ['an unaligned write', rw, () => rw.request(CMD.WRITE, 7, 0, 100, 0, Buffer.alloc(100)), EINVAL, /multiples of 512/],
    ['a zero-length read', rw, () => rw.request(CMD.READ, 8, 0, 0), EINVAL, /^zero length$/],
    ['a flush with a length', rw, () => rw.request(CMD.FLUSH, 10, 0, 512), EINVAL, /^FLUSH takes no offset or length$/],
    ['a flush with an offset', rw, () => rw.request(CMD.FLUSH, 14, 4096, 0), EINVAL, /^FLUSH takes no offset or length$/],
    ['a write on a read-only export', ro, () => ro.request(CMD.WRITE, 11, 0, 512, 0, Buffer.alloc(512)), EPERM, /^the export is read-only$/],
    ['a trim on a read-only export', ro, () => ro.request(CMD.TRIM, 12, 0, 512), EPERM, /read-only/],
    ['write zeroes on a read-only export', ro, () => ro.request(CMD.WRITE_ZEROES, 13, 0, 512), EPERM, /read-only/]
  ]
  for (const [rule, client, send, errno, message] of cases) {
    send()
    const got = (await client.refusal())!
    t.equal(got.errno, errno, rule)
    t.match(got.message, message, `${rule}: the reply says why`)
  }
  rw.request(CMD.FLUSH, 15, 0, 0)
  t.same(await rw.refusal(), { errno: 0, message: '' }, 'a FLUSH of nothing at 0 is served')
  rw.request(CMD.READ, 16, 8 * MiB - 512, 512)
  const last = await rw.chunk()
  t.match(last, { type: 1, handle: 16 }, 'a read that ends at the end of the export is served')
  t.equal(last!.data.length, 8 + 512)
  rw.request(CMD.READ, 20, 0, 512)
  const read = await rw.chunk()
  t.match(read, { type: 1, handle: 20 }, 'after all that, a good read is answered')
  t.equal(read!.data.length, 8 + 512)
})

t.test('a READ or WRITE carries 32 MiB at most: exactly that is served, more refused', async (t) => {
  const { client } = await openDevice(t, new MemoryDevice(64 * MiB))
  client.request(CMD.WRITE, 1, 0, 32 * MiB, 0, Buffer.alloc(32 * MiB, 3))
  t.same(await client.refusal(), { errno: 0, message: '' }, 'a 32 MiB write is applied')
  client.request(CMD.READ, 2, 0, 32 * MiB)
  const read = (await client.chunk())!
  t.equal(read.type, 1)
  t.ok(read.data.subarray(8).equals(Buffer.alloc(32 * MiB, 3)), 'a 32 MiB read answers the bytes written')
  client.request(CMD.READ, 3, 0, 32 * MiB + 512)
  t.same(await client.refusal(), { errno: EINVAL, message: `a read asks for at most ${32 * MiB} bytes` })
  client.request(CMD.WRITE, 4, 0, 32 * MiB + 512, 0, Buffer.alloc(32 * MiB + 512))
  t.same(await client.refusal(), { errno: EINVAL, message: `a write carries at most ${32 * MiB} bytes` })
  client.request(CMD.READ, 5, 32 * MiB, 4096)
  t.match(await client.chunk(), { type: 1, handle: 5 }, 'the connection is still in step')
})

t.test('BLOCK_STATUS without base:allocation selected is refused', async (t) => {
  const { server, names } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.greet()
  client.option(OPT_STRUCTURED_REPLY)
  await client.optionReply()
  client.option(OPT_GO, Buffer.concat([str(names.rw), u16(0)]))
  for (;;) if ((await client.optionReply()).type === 1) break
  client.request(CMD.BLOCK_STATUS, 1, 0, 4096)
  t.same(await client.refusal(), { errno: EINVAL, message: 'no metadata context was selected' })
})

t.test('a client without structured replies gets simple replies: data after the header, errors without it', async (t) => {
  const { server, names } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.greet()
  client.option(OPT_GO, Buffer.concat([str(names.rw), u16(0)]))
  for (;;) if ((await client.optionReply()).type === 1) break
  const simple = async (): Promise<{ magic: number, errno: number, handle: bigint }> => {
    const header = (await client.read(16))!
    return { magic: header.readUInt32BE(0), errno: header.readUInt32BE(4), handle: header.readBigUInt64BE(8) }
  }
  client.request(CMD.WRITE, 1, 4096, 4096, 0, Buffer.alloc(4096, 5))
  t.same(await simple(), { magic: 0x67446698, errno: 0, handle: 1n }, 'a write: a simple reply')
  client.request(CMD.READ, 2, 4096, 4096)
  t.same(await simple(), { magic: 0x67446698, errno: 0, handle: 2n })
  t.ok((await client.read(4096))!.equals(Buffer.alloc(4096, 5)), 'a read: its bytes follow the header')
  client.request(CMD.READ, 3, 8 * MiB, 4096)
  t.same(await simple(), { magic: 0x67446698, errno: EINVAL, handle: 3n }, 'a refused read: the error, no data')
  client.request(CMD.READ, 4, 0, 512)
  t.same(await simple(), { magic: 0x67446698, errno: 0, handle: 4n }, 'the next reply is in step')
  t.ok((await client.read(512))!.equals(Buffer.alloc(512)))
})

t.test('a request with a bad magic ends the connection (the stream is lost); others go on', async (t) => {
  const { server, names, uri } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  await client.open(names.rw)
  client.send(u32(0x25609514), u16(0), u16(CMD.READ), u64(1n), u64(0n), u32(512))
  await client.closed()
  t.pass('closed')
  await stillServes(t, uri(names.rw))
})

t.test('TRIM and WRITE_ZEROES leave zeros where they land and nothing else changed', async (t) => {
  const { client } = await openDevice(t, new MemoryDevice(8 * MiB))
  client.request(CMD.WRITE, 1, 0, 64 * 1024, 0, Buffer.alloc(64 * 1024, 0x11))
  client.request(CMD.TRIM, 2, 0, 16 * 1024)
  client.request(CMD.WRITE_ZEROES, 3, 32 * 1024, 16 * 1024)
  for (const handle of [1, 2, 3]) t.same(await client.refusal(), { errno: 0, message: '' }, `request ${handle} served`)
  client.request(CMD.READ, 4, 0, 64 * 1024)
  const bytes = (await client.chunk())!.data.subarray(8)
  const expected = Buffer.alloc(64 * 1024, 0x11)
  expected.fill(0, 0, 16 * 1024)
  expected.fill(0, 32 * 1024, 48 * 1024)
  t.ok(bytes.equals(expected), 'zeros at 0-16 KiB and 32-48 KiB, the written bytes elsewhere')
})

t.test('an oversized write\'s payload is consumed and refused; the next request is in step', async (t) => {
  const { client } = await openDevice(t, new MemoryDevice(8 * MiB))
  client.request(CMD.WRITE, 1, 0, 40 * MiB, 0, Buffer.alloc(40 * MiB, 7))
  t.same(await client.refusal(), { errno: EINVAL, message: `a write carries at most ${32 * MiB} bytes` })
  client.request(CMD.WRITE, 2, 0, 4096, 0, Buffer.alloc(4096, 9))
  t.equal(await client.errno(), 0)
  client.request(CMD.READ, 3, 0, 4096)
  const read = await client.chunk()
  t.ok(read!.data.subarray(8).equals(Buffer.alloc(4096, 9)), 'only the small write landed')
})

t.test('requests sent together are answered in order, each reply whole, the reads seeing the writes before them', async (t) => {
  const { client } = await openDevice(t, new MemoryDevice(8 * MiB))
  // One send: 200 writes, each followed by a read of what it wrote, then a FLUSH.
  const parts: Buffer[] = []
  const request = (type: number, handle: number, offset: number, length: number, payload = Buffer.alloc(0)): void => {
    parts.push(u32(0x25609513), u16(0), u16(type), u64(BigInt(handle)), u64(BigInt(offset)), u32(length), payload)
  }
  for (let i = 0; i < 200; i++) {
    request(CMD.WRITE, 2 * i, i * 8192, 8192, Buffer.alloc(8192, i))
    request(CMD.READ, 2 * i + 1, i * 8192, 8192)
  }
  request(CMD.FLUSH, 400, 0, 0)
  client.send(...parts)
  for (let handle = 0; handle <= 400; handle++) {
    const reply = await client.chunk()
    t.equal(reply?.handle, handle)
    if (reply!.type === 0x8001) t.fail(`request ${handle} was refused`)
    if (handle % 2 === 1 && handle < 400 && !reply!.data.subarray(8).equals(Buffer.alloc(8192, (handle - 1) / 2))) t.fail(`read ${handle} saw other bytes`)
  }
})

t.test('block status answers base:allocation extents within the request; REQ_ONE answers one', async (t) => {
  const { client } = await openDevice(t, new MemoryDevice(8 * MiB))
  client.request(CMD.WRITE, 1, 256 * 1024, 256 * 1024, 0, Buffer.alloc(256 * 1024, 1))
  t.equal(await client.errno(), 0)
  const extents = async (flags: number): Promise<number[][]> => {
    client.request(CMD.BLOCK_STATUS, 2, 0, 1 * MiB, flags)
    const reply = (await client.chunk())!
    t.equal(reply.type, 5)
    const out: number[][] = []
    for (let at = 4; at < reply.data.length; at += 8) out.push([reply.data.readUInt32BE(at), reply.data.readUInt32BE(at + 4)])
    return out
  }
  t.same(await extents(0), [[262144, 3], [262144, 0], [524288, 3]])
  t.same(await extents(1 << 3), [[262144, 3]])
})

t.test('a client that vanishes mid-request, and a hundred at once, leave the server serving', async (t) => {
  const { server, names, uri } = await memoryServer(t)
  const midWrite = await RawClient.connect(server.port)
  await midWrite.open(names.rw)
  midWrite.request(CMD.WRITE, 1, 0, 1 * MiB, 0, Buffer.alloc(1000))
  midWrite.close()
  const midHandshake = await RawClient.connect(server.port)
  await midHandshake.read(18)
  midHandshake.send(u32(3), u64(0x49484156454f5054n))
  midHandshake.close()
  const many = await Promise.all(Array.from({ length: 100 }, async () => RawClient.connect(server.port)))
  await Promise.all(many.map(async (client, i) => {
    await client.open(i % 2 === 0 ? names.rw : names.ro)
    client.request(CMD.READ, i, 0, 4096)
    t.equal((await client.chunk())!.type, 1)
    client.request(CMD.DISC, 0, 0, 0)
    await client.closed()
  }))
  await stillServes(t, uri(names.rw))
})

t.test('a withdrawn export answers ESHUTDOWN to the connections that had it open', async (t) => {
  const { server, names } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.open(names.ro)
  server.exports.withdraw('ro')
  client.request(CMD.READ, 1, 0, 4096)
  t.same(await client.refusal(), { errno: ESHUTDOWN, message: 'the export was withdrawn' })
  await t.rejects(tool('nbdinfo', [`nbd://127.0.0.1:${server.port}/ro`]), 'new clients cannot open it')
})
