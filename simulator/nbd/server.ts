// An NBD server on 127.0.0.1 (never another address: the exports are whole volumes).
// Each connection negotiates, then serves one export; whatever a client sends, the worst it
// gets is its own connection closed.
import { once } from 'node:events'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import type { ExportTable } from './exports.js'
import { negotiate } from './negotiation.js'
import { SocketReader } from './socket-reader.js'
import { transmit } from './transmission.js'

/** Connections beyond this are refused at accept. */
const MAX_CONNECTIONS = 256

export interface NbdServer {
  readonly port: number
  readonly exports: ExportTable
  /** Stops listening, revokes every export and closes every connection. */
  close: () => Promise<void>
}

/** Listens on 127.0.0.1:port (0 picks a free port). */
export async function listenNbd (exports: ExportTable, port: number): Promise<NbdServer> {
  const sockets = new Set<Socket>()
  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    void serveConnection(socket, exports)
  })
  server.maxConnections = MAX_CONNECTIONS
  server.listen(port, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    exports,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      exports.clear()
      for (const socket of sockets) socket.destroy()
      await closed
    }
  }
}

async function serveConnection (socket: Socket, exports: ExportTable): Promise<void> {
  const reader = new SocketReader(socket)
  try {
    const session = await negotiate(socket, reader, exports)
    if (session !== undefined) await transmit(socket, reader, session)
    socket.end()
  } catch {
    // A broken rule, a vanished client or a fault of ours: this connection ends, no other.
    socket.destroy()
  }
}
