// The NBD server itself: where it listens, what closing it does, and that a client that breaks
// the protocol loses only its own connection.
import { once } from 'node:events'
import { connect } from 'node:net'
import t from 'tap'
import { ExportTable } from '../../../simulator/nbd/exports.js'
import { MemoryDevice } from '../../../simulator/nbd/memory-device.js'
import { listenNbd } from '../../../simulator/nbd/server.js'
import { RawClient, u32 } from '../../helpers/nbd.js'

/** The error code a connection to host:port ends with, or 'connected'. */
async function tryConnect (host: string, port: number): Promise<string> {
  const socket = connect(port, host)
  try {
    await once(socket, 'connect')
    return 'connected'
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'error'
  } finally {
    socket.destroy()
  }
}

t.test('the server listens on 127.0.0.1 only: another loopback address of the same port is refused', async (t) => {
  const server = await listenNbd(new ExportTable(false), 0)
  t.teardown(() => server.close())
  t.equal(await tryConnect('127.0.0.1', server.port), 'connected')
  t.equal(await tryConnect('127.0.0.2', server.port), 'ECONNREFUSED')
})

t.test('closing the server revokes every export and closes every connection, even one mid-negotiation', async (t) => {
  const exports = new ExportTable(false)
  const name = exports.publish('disk', new MemoryDevice(4096))
  const server = await listenNbd(exports, 0)
  const serving = await RawClient.connect(server.port)
  await serving.open(name)
  const haggling = await RawClient.connect(server.port)
  await haggling.greet()
  const revoked = exports.open(name)?.revoked
  await server.close()
  t.equal(revoked?.aborted, true, 'the export is revoked')
  t.equal(exports.open(name), undefined, 'and no longer offered')
  await serving.closed()
  await haggling.closed()
  t.equal(await tryConnect('127.0.0.1', server.port), 'ECONNREFUSED', 'and it no longer listens')
})

t.test('a client that breaks the protocol loses its own connection; another carries on', async (t) => {
  const exports = new ExportTable(false)
  const name = exports.publish('disk', new MemoryDevice(4096))
  const server = await listenNbd(exports, 0)
  t.teardown(() => server.close())
  const good = await RawClient.connect(server.port)
  t.teardown(() => good.close())
  await good.open(name)
  const bad = await RawClient.connect(server.port)
  t.teardown(() => bad.close())
  await bad.open(name)
  bad.send(u32(0xdeadbeef), Buffer.alloc(24))
  await bad.closed()
  good.request(0, 1, 0, 512)
  t.equal(await good.errno(), 0, 'the other client still reads')
})
