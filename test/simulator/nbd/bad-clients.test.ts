// Clients that break the protocol, over raw sockets: each gets the NBD error the protocol
// names (or, where the protocol says so, a closed connection), and the server goes on
// serving everyone else.
import t, { type Test } from 'tap'
import { MiB, memoryServer, RawClient, str, tool, u16, u32, u64 } from '../../helpers/nbd.js'

const OPT_GO = 7
const OPT_LIST = 3
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

t.test('requests an export cannot serve get the protocol\'s error values, and the connection goes on', async (t) => {
  const { server, names } = await memoryServer(t)
  const rw = await RawClient.connect(server.port)
  const ro = await RawClient.connect(server.port)
  t.teardown(() => { rw.close(); ro.close() })
  await rw.open(names.rw)
  await ro.open(names.ro)
  const cases: Array<[string, RawClient, () => void, number]> = [
    ['unknown command', rw, () => rw.request(42, 1, 0, 512), EINVAL],
    ['a flag the command does not take', rw, () => rw.request(CMD.READ, 2, 0, 512, 1 << 3), EINVAL],
    ['a read past the end', rw, () => rw.request(CMD.READ, 3, 8 * MiB - 512, 1024), EINVAL],
    ['a read at an offset past 2^63', rw, () => rw.request(CMD.READ, 4, 2n ** 63n, 512), EINVAL],
    ['a write past the end', rw, () => rw.request(CMD.WRITE, 5, 8 * MiB, 512, 0, Buffer.alloc(512)), ENOSPC],
    ['an unaligned read', rw, () => rw.request(CMD.READ, 6, 100, 512), EINVAL],
    ['an unaligned write', rw, () => rw.request(CMD.WRITE, 7, 0, 100, 0, Buffer.alloc(100)), EINVAL],
    ['a zero-length read', rw, () => rw.request(CMD.READ, 8, 0, 0), EINVAL],
    ['a read over 32 MiB', rw, () => rw.request(CMD.READ, 9, 0, 33 * MiB), EINVAL],
    ['a flush with a length', rw, () => rw.request(CMD.FLUSH, 10, 0, 512), EINVAL],
    ['a write on a read-only export', ro, () => ro.request(CMD.WRITE, 11, 0, 512, 0, Buffer.alloc(512)), EPERM],
    ['a trim on a read-only export', ro, () => ro.request(CMD.TRIM, 12, 0, 512), EPERM],
    ['write zeroes on a read-only export', ro, () => ro.request(CMD.WRITE_ZEROES, 13, 0, 512), EPERM]
  ]
  for (const [rule, client, send, errno] of cases) {
    send()
    t.equal(await client.errno(), errno, rule)
  }
  rw.request(CMD.READ, 20, 0, 512)
  const read = await rw.chunk()
  t.match(read, { type: 1, handle: 20 }, 'after all that, a good read is answered')
  t.equal(read!.data.length, 8 + 512)
})

t.test('an oversized write\'s payload is consumed and refused; the next request is in step', async (t) => {
  const { server, names } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.open(names.rw)
  client.request(CMD.WRITE, 1, 0, 40 * MiB, 0, Buffer.alloc(40 * MiB, 7))
  t.equal(await client.errno(), EINVAL)
  client.request(CMD.WRITE, 2, 0, 4096, 0, Buffer.alloc(4096, 9))
  t.equal(await client.errno(), 0)
  client.request(CMD.READ, 3, 0, 4096)
  const read = await client.chunk()
  t.ok(read!.data.subarray(8).equals(Buffer.alloc(4096, 9)), 'only the small write landed')
})

t.test('requests sent together are answered in order, each reply whole, the reads seeing the writes before them', async (t) => {
  const { server, names } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.open(names.rw)
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
    if (handle % 2 === 1 && handle < 400 && !reply!.data.subarray(8).equals(Buffer.alloc(8192, (handle - 1) / 2))) t.fail(`read ${handle} saw other bytes`)
  }
})

t.test('block status answers base:allocation extents within the request; REQ_ONE answers one', async (t) => {
  const { server, names } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.open(names.rw)
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
  t.equal(await client.errno(), ESHUTDOWN)
  await t.rejects(tool('nbdinfo', [`nbd://127.0.0.1:${server.port}/ro`]), 'new clients cannot open it')
})
