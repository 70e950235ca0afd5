// The handshake, byte by byte over a raw socket (NetworkBlockDevice doc/proto.md, "Fixed
// newstyle negotiation"): what each option answers, what it settles for the transmission
// that follows, and which broken options are refused (the haggling goes on) or hang up.
// Every number is written here from the protocol document, not taken from the server's code.
import t, { type Test } from 'tap'
import { ExportTable } from '../../../simulator/nbd/exports.js'
import { MemoryDevice } from '../../../simulator/nbd/memory-device.js'
import { listenNbd } from '../../../simulator/nbd/server.js'
import { MiB, memoryServer, RawClient, str, u16, u32 } from '../../helpers/nbd.js'

const OPT = { EXPORT_NAME: 1, ABORT: 2, LIST: 3, INFO: 6, GO: 7, STRUCTURED_REPLY: 8, LIST_META_CONTEXT: 9, SET_META_CONTEXT: 10 }
const REP = { ACK: 1, SERVER: 2, INFO: 3, META_CONTEXT: 4, ERR_UNSUP: 2 ** 31 + 1, ERR_INVALID: 2 ** 31 + 3, ERR_UNKNOWN: 2 ** 31 + 6 }
const INFO_EXPORT = 0
const INFO_BLOCK_SIZE = 3
const CMD_READ = 0
const CMD_BLOCK_STATUS = 7
const EINVAL = 22
// Transmission flags: HAS_FLAGS 1, READ_ONLY 2, SEND_FLUSH 4, SEND_FUA 8, SEND_TRIM 32,
// SEND_WRITE_ZEROES 64, CAN_MULTI_CONN 256.
const WRITABLE_FLAGS = 1 + 4 + 8 + 32 + 64 + 256
const READ_ONLY_FLAGS = 1 + 2 + 4 + 8 + 256

/** A client past the greeting of a server with memoryServer's `rw` (8 MiB) and `ro` (4 MiB) exports. */
async function greeted (t: Test, clientFlags = 3): Promise<RawClient> {
  const { server } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.read(18)
  client.send(u32(clientFlags))
  return client
}

/** An option's data for NBD_OPT_INFO / NBD_OPT_GO: the name, then the information requests. */
function infoRequest (name: string, ...requests: number[]): Buffer<ArrayBuffer> {
  return Buffer.concat([str(name), u16(requests.length), ...requests.map(u16)])
}

/** An option's data for NBD_OPT_{LIST,SET}_META_CONTEXT: the name, then the queries. */
function metaContextRequest (name: string, ...queries: string[]): Buffer<ArrayBuffer> {
  return Buffer.concat([str(name), u32(queries.length), ...queries.map(str)])
}

/** An NBD_REP_META_CONTEXT payload: the context id, then its name. */
function metaContextReply (id: number, name: string): Buffer<ArrayBuffer> {
  return Buffer.concat([u32(id), Buffer.from(name)])
}

/** The option replies up to and including the first that is not NBD_REP_INFO / NBD_REP_META_CONTEXT / NBD_REP_SERVER. */
async function replies (client: RawClient): Promise<Array<{ option: number, type: number, data: Buffer }>> {
  const out = []
  for (;;) {
    const reply = await client.optionReply()
    out.push(reply)
    if (reply.type !== REP.INFO && reply.type !== REP.META_CONTEXT && reply.type !== REP.SERVER) return out
  }
}

/** Asks block status of the first 4 KiB: its error value (0 when served). */
async function blockStatusErrno (client: RawClient): Promise<number | undefined> {
  client.request(CMD_BLOCK_STATUS, 77, 0, 4096)
  return await client.errno()
}

t.test('the greeting is NBDMAGIC, IHAVEOPT and the handshake flags fixed newstyle and no zeroes', async (t) => {
  const { server } = await memoryServer(t)
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  t.same(await client.read(18), Buffer.from('NBDMAGICIHAVEOPT\x00\x03', 'latin1'))
})

t.test('client flags other than fixed newstyle and no zeroes end the connection; those two alone do not', async (t) => {
  for (const flags of [4, 2 ** 31, 3 | 8]) {
    const client = await greeted(t, flags)
    t.equal(await client.read(1), undefined, `client flags ${flags}: closed without a reply`)
  }
  for (const flags of [0, 1, 2, 3]) {
    const client = await greeted(t, flags)
    client.option(999)
    t.match(await client.optionReply(), { option: 999, type: REP.ERR_UNSUP }, `client flags ${flags}: options are answered`)
  }
})

t.test('NBD_OPT_EXPORT_NAME answers the size and transmission flags, then 124 zero bytes unless the client said no zeroes', async (t) => {
  const cases: Array<[string, number, bigint, number]> = [['rw', 1, BigInt(8 * MiB), WRITABLE_FLAGS], ['ro', 1, BigInt(4 * MiB), READ_ONLY_FLAGS], ['rw', 3, BigInt(8 * MiB), WRITABLE_FLAGS]]
  for (const [name, clientFlags, size, flags] of cases) {
    const client = await greeted(t, clientFlags)
    client.option(OPT.EXPORT_NAME, Buffer.from(name))
    const info = (await client.read(clientFlags === 1 ? 134 : 10))!
    t.equal(info.readBigUInt64BE(0), size, `${name}: its size`)
    t.equal(info.readUInt16BE(8), flags, `${name}: its transmission flags`)
    t.ok(info.subarray(10).every((byte) => byte === 0), 'the rest is zeros')
    // Transmission follows at once, with simple replies (no structured ones were asked for).
    client.request(CMD_READ, 9, 0, 512)
    const reply = (await client.read(16 + 512))!
    t.equal(reply.readUInt32BE(0), 0x67446698, `${name}, client flags ${clientFlags}: the next bytes are a simple reply`)
    t.equal(reply.readUInt32BE(4), 0, 'with no error')
    t.equal(reply.readBigUInt64BE(8), 9n, 'for the read sent')
  }
})

t.test('NBD_OPT_EXPORT_NAME of an unknown export ends the connection without a reply (the option has no way to refuse)', async (t) => {
  const client = await greeted(t)
  client.option(OPT.EXPORT_NAME, Buffer.from('nope'))
  t.equal(await client.read(1), undefined)
})

t.test('NBD_OPT_EXPORT_NAME keeps what was negotiated before it: structured replies, and base:allocation when selected for that name', async (t) => {
  const selectedFor = async (selected: string): Promise<RawClient> => {
    const client = await greeted(t)
    client.option(OPT.STRUCTURED_REPLY)
    await client.optionReply()
    client.option(OPT.SET_META_CONTEXT, metaContextRequest(selected, 'base:allocation'))
    await replies(client)
    client.option(OPT.EXPORT_NAME, Buffer.from('rw'))
    await client.read(10)
    return client
  }
  const same = await selectedFor('rw')
  same.request(CMD_READ, 3, 0, 512)
  t.match(await same.chunk(), { type: 1, handle: 3 }, 'a read is answered with a structured chunk')
  t.equal(await blockStatusErrno(same), 0, 'block status is served')
  const other = await selectedFor('ro')
  t.equal(await blockStatusErrno(other), EINVAL, 'base:allocation selected for another name: block status is refused')
})

t.test('NBD_OPT_INFO answers the export\'s size and flags, and block sizes only when asked; the haggling goes on', async (t) => {
  const client = await greeted(t)
  client.option(OPT.INFO, infoRequest('ro'))
  const plain = await replies(client)
  t.same(plain.map((reply) => reply.type), [REP.INFO, REP.ACK], 'NBD_INFO_EXPORT, then NBD_REP_ACK')
  t.ok(plain.every((reply) => reply.option === OPT.INFO), 'each reply names the option')
  t.same(plain[0]!.data, Buffer.concat([u16(INFO_EXPORT), Buffer.from([0, 0, 0, 0, 0, 0x40, 0, 0]), u16(READ_ONLY_FLAGS)]), 'type 0, 4 MiB, the read-only flags')
  t.equal(plain[1]!.data.length, 0, 'the ACK carries nothing')

  client.option(OPT.INFO, infoRequest('rw', 1, INFO_BLOCK_SIZE))
  const sized = await replies(client)
  t.same(sized.map((reply) => reply.type), [REP.INFO, REP.INFO, REP.ACK])
  t.same(sized[0]!.data, Buffer.concat([u16(INFO_EXPORT), Buffer.from([0, 0, 0, 0, 0, 0x80, 0, 0]), u16(WRITABLE_FLAGS)]), 'type 0, 8 MiB, the writable flags')
  t.same(sized[1]!.data, Buffer.concat([u16(INFO_BLOCK_SIZE), u32(512), u32(4096), u32(32 * MiB)]), 'minimum 512, preferred 4 KiB, maximum 32 MiB')

  client.option(OPT.INFO, infoRequest('nope'))
  t.same(await client.optionReply(), { option: OPT.INFO, type: REP.ERR_UNKNOWN, data: Buffer.from('no such export') })
  client.option(OPT.GO, infoRequest('rw'))
  t.same((await replies(client)).map((reply) => reply.type), [REP.INFO, REP.ACK], 'NBD_OPT_GO after them still opens the export')
  client.request(CMD_READ, 5, 0, 512)
  t.match(await client.read(16), { length: 16 }, 'and transmission follows')
})

t.test('the preferred block size is the device\'s block size when larger than 4 KiB', async (t) => {
  const exports = new ExportTable(false)
  const name = exports.publish('big-blocks', new MemoryDevice(MiB, { blockSize: 8192 }))
  const server = await listenNbd(exports, 0)
  t.teardown(() => server.close())
  const client = await RawClient.connect(server.port)
  t.teardown(() => client.close())
  await client.greet()
  client.option(OPT.GO, infoRequest(name, INFO_BLOCK_SIZE))
  const [, sizes] = await replies(client)
  t.same(sizes!.data, Buffer.concat([u16(INFO_BLOCK_SIZE), u32(8192), u32(8192), u32(32 * MiB)]))
})

t.test('NBD_OPT_ABORT is acknowledged and the server closes the connection', async (t) => {
  const client = await greeted(t)
  client.option(OPT.ABORT)
  t.same(await client.optionReply(), { option: OPT.ABORT, type: REP.ACK, data: Buffer.alloc(0) })
  await client.closed()
  t.pass('closed')
})

t.test('NBD_OPT_LIST answers one NBD_REP_SERVER per export, its name length-prefixed, then NBD_REP_ACK', async (t) => {
  const client = await greeted(t)
  client.option(OPT.LIST)
  const listed = await replies(client)
  t.same(listed, [
    { option: OPT.LIST, type: REP.SERVER, data: str('rw') },
    { option: OPT.LIST, type: REP.SERVER, data: str('ro') },
    { option: OPT.LIST, type: REP.ACK, data: Buffer.alloc(0) }
  ])
  client.option(OPT.LIST, Buffer.from('x'))
  t.same(await client.optionReply(), { option: OPT.LIST, type: REP.ERR_INVALID, data: Buffer.from('NBD_OPT_LIST takes no data') })
})

t.test('NBD_OPT_STRUCTURED_REPLY with data is refused and structured replies stay off', async (t) => {
  const client = await greeted(t)
  client.option(OPT.STRUCTURED_REPLY, Buffer.from('x'))
  t.same(await client.optionReply(), { option: OPT.STRUCTURED_REPLY, type: REP.ERR_INVALID, data: Buffer.from('NBD_OPT_STRUCTURED_REPLY takes no data') })
  client.option(OPT.SET_META_CONTEXT, metaContextRequest('rw', 'base:allocation'))
  t.same(await client.optionReply(), { option: OPT.SET_META_CONTEXT, type: REP.ERR_INVALID, data: Buffer.from('negotiate structured replies first') })
  client.option(OPT.LIST_META_CONTEXT, metaContextRequest('rw'))
  t.match(await client.optionReply(), { type: REP.ERR_INVALID }, 'listing them too')
  client.option(OPT.GO, infoRequest('rw'))
  await replies(client)
  client.request(CMD_READ, 4, 0, 512)
  t.equal((await client.read(4))!.readUInt32BE(0), 0x67446698, 'reads get simple replies')
})

t.test('NBD_OPT_LIST_META_CONTEXT lists base:allocation (id 0) for no query, base: or base:allocation; nothing for others; it selects nothing', async (t) => {
  const client = await greeted(t)
  client.option(OPT.STRUCTURED_REPLY)
  t.same(await client.optionReply(), { option: OPT.STRUCTURED_REPLY, type: REP.ACK, data: Buffer.alloc(0) })
  const cases: Array<[string[], boolean]> = [[[], true], [['base:'], true], [['base:allocation'], true], [['x-other:thing', 'base:'], true],
    [['base:other'], false], [['x-other:'], false], [['base'], false]]
  for (const [queries, listed] of cases) {
    client.option(OPT.LIST_META_CONTEXT, metaContextRequest('rw', ...queries))
    const expected = [{ option: OPT.LIST_META_CONTEXT, type: REP.ACK, data: Buffer.alloc(0) }]
    if (listed) expected.unshift({ option: OPT.LIST_META_CONTEXT, type: REP.META_CONTEXT, data: metaContextReply(0, 'base:allocation') })
    t.same(await replies(client), expected, `queries ${JSON.stringify(queries)}`)
  }
  client.option(OPT.LIST_META_CONTEXT, metaContextRequest('nope'))
  t.same(await client.optionReply(), { option: OPT.LIST_META_CONTEXT, type: REP.ERR_UNKNOWN, data: Buffer.from('no such export') })
  client.option(OPT.GO, infoRequest('rw'))
  await replies(client)
  t.equal(await blockStatusErrno(client), EINVAL, 'after listing only, block status is refused')
})

t.test('NBD_OPT_SET_META_CONTEXT selects base:allocation (id 1) only when named; each one replaces the last selection', async (t) => {
  const setThenGo = async (...sets: Array<[string, string[]]>): Promise<{ client: RawClient, answers: Array<Array<{ type: number, data: Buffer }>> }> => {
    const client = await greeted(t)
    client.option(OPT.STRUCTURED_REPLY)
    await client.optionReply()
    const answers = []
    for (const [name, queries] of sets) {
      client.option(OPT.SET_META_CONTEXT, metaContextRequest(name, ...queries))
      answers.push((await replies(client)).map(({ type, data }) => ({ type, data })))
    }
    client.option(OPT.GO, infoRequest('rw'))
    await replies(client)
    return { client, answers }
  }
  const ack = { type: REP.ACK, data: Buffer.alloc(0) }
  const selected = { type: REP.META_CONTEXT, data: metaContextReply(1, 'base:allocation') }

  const named = await setThenGo(['rw', ['base:']], ['rw', ['x-other:a', 'base:allocation']])
  t.same(named.answers, [[ack], [selected, ack]], 'base: selects nothing; base:allocation among others is selected')
  t.equal(await blockStatusErrno(named.client), 0, 'block status is served')

  const replaced = await setThenGo(['rw', ['base:allocation']], ['rw', ['base:']])
  t.same(replaced.answers, [[selected, ack], [ack]])
  t.equal(await blockStatusErrno(replaced.client), EINVAL, 'a later selection of nothing leaves nothing selected')

  const unknown = await setThenGo(['rw', ['base:allocation']], ['nope', ['base:allocation']])
  t.same(unknown.answers[1], [{ type: REP.ERR_UNKNOWN, data: Buffer.from('no such export') }])
  t.equal(await blockStatusErrno(unknown.client), EINVAL, 'a refused selection also clears the one before')

  const listedAfter = await greeted(t)
  listedAfter.option(OPT.STRUCTURED_REPLY)
  await listedAfter.optionReply()
  listedAfter.option(OPT.SET_META_CONTEXT, metaContextRequest('rw', 'base:allocation'))
  await replies(listedAfter)
  listedAfter.option(OPT.LIST_META_CONTEXT, metaContextRequest('rw', 'x-other:'))
  await replies(listedAfter)
  listedAfter.option(OPT.GO, infoRequest('rw'))
  await replies(listedAfter)
  t.equal(await blockStatusErrno(listedAfter), 0, 'a listing after the selection leaves it selected')

  const none = await setThenGo(['rw', []])
  t.same(none.answers, [[ack]], 'no query selects nothing')
  t.equal(await blockStatusErrno(none.client), EINVAL)
})

t.test('option data that does not parse is NBD_REP_ERR_INVALID saying why, and the haggling goes on', async (t) => {
  const client = await greeted(t)
  client.option(OPT.STRUCTURED_REPLY)
  await client.optionReply()
  const nul = Buffer.concat([u32(3), Buffer.from('r\0w'), u16(0)])
  const notUtf8 = Buffer.concat([u32(2), Buffer.from([0xc3, 0x28]), u16(0)])
  const cases: Array<[string, number, Buffer, string]> = [
    ['a name of 4,097 bytes', OPT.GO, infoRequest('a'.repeat(4097)), 'string too long'],
    ['a name with a NUL', OPT.GO, nul, 'string is not NUL-free UTF-8'],
    ['a name that is not UTF-8', OPT.INFO, notUtf8, 'string is not NUL-free UTF-8'],
    ['no room for the name\'s length', OPT.GO, Buffer.from([0, 0, 0]), 'option data too short'],
    ['a name longer than the data', OPT.GO, Buffer.concat([u32(100), Buffer.from('rw')]), 'option data too short'],
    ['no request count', OPT.GO, str('rw'), 'option data too short'],
    ['half a request count', OPT.GO, Buffer.concat([str('rw'), Buffer.from([0])]), 'option data too short'],
    ['fewer requests than counted', OPT.GO, Buffer.concat([str('rw'), u16(2), u16(INFO_BLOCK_SIZE)]), 'option data too short'],
    ['a byte after the requests', OPT.INFO, Buffer.concat([infoRequest('rw'), Buffer.from([0])]), 'trailing option data'],
    ['no query count', OPT.SET_META_CONTEXT, str('rw'), 'option data too short'],
    ['more queries than the data could hold', OPT.LIST_META_CONTEXT, Buffer.concat([str('rw'), u32(16385)]), 'too many queries'],
    ['fewer queries than counted', OPT.SET_META_CONTEXT, Buffer.concat([str('rw'), u32(2), str('base:allocation')]), 'option data too short'],
    ['a byte after the queries', OPT.SET_META_CONTEXT, Buffer.concat([metaContextRequest('rw', 'base:allocation'), Buffer.from([0])]), 'trailing option data']
  ]
  for (const [rule, option, data, message] of cases) {
    client.option(option, Buffer.concat([data]))
    t.same(await client.optionReply(), { option, type: REP.ERR_INVALID, data: Buffer.from(message) }, rule)
  }
  // The most queries the data could hold is not too many (the data then is too short).
  client.option(OPT.LIST_META_CONTEXT, Buffer.concat([str('rw'), u32(16384)]))
  t.same(await client.optionReply(), { option: OPT.LIST_META_CONTEXT, type: REP.ERR_INVALID, data: Buffer.from('option data too short') })
  // A name of exactly 4,096 bytes parses (it names no export).
  client.option(OPT.INFO, infoRequest('a'.repeat(4096)))
  t.match(await client.optionReply(), { type: REP.ERR_UNKNOWN }, 'a 4,096-byte name is looked up')
  client.option(OPT.GO, infoRequest('rw'))
  t.same((await replies(client)).map((reply) => reply.type), [REP.INFO, REP.ACK], 'then the export opens')
  t.equal(await blockStatusErrno(client), EINVAL, 'nothing was selected by the refused options')
})

t.test('an unknown option is NBD_REP_ERR_UNSUP naming it, whatever data it carries up to 64 KiB; more data hangs up', async (t) => {
  const client = await greeted(t)
  client.option(999, Buffer.alloc(65536, 7))
  t.same(await client.optionReply(), { option: 999, type: REP.ERR_UNSUP, data: Buffer.from('option 999 is not supported') })
  client.option(5)
  t.same(await client.optionReply(), { option: 5, type: REP.ERR_UNSUP, data: Buffer.from('option 5 is not supported') }, 'STARTTLS is not offered')
  client.option(999, Buffer.alloc(65537))
  t.equal(await client.read(1), undefined, 'option data of 64 KiB + 1: closed without a reply')
})

t.test('an option header without the IHAVEOPT magic ends the connection', async (t) => {
  const client = await greeted(t)
  client.send(Buffer.from('IHAVEOPS'), u32(999), u32(0))
  t.equal(await client.read(1), undefined, 'closed without a reply')
})
