// The connection before any route is chosen. A request Node's parser refuses (garbage
// request line, too slow, head too large) is answered with the envelope and a catalogue
// scode, like every other failure. Open connections are capped; at the cap the connection
// idle longest gives way, so idle keep-alive sockets can neither exhaust file descriptors
// nor lock active clients out.
import { STATUS_CODES, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { failed } from './envelope.js'
import { CdpError } from './errors.js'

/** Writes a whole answer with the envelope straight to the socket, then closes it. */
function answerRaw (socket: Socket, error: CdpError, extraHeaders = ''): void {
  if (socket.writable) {
    const { status } = error.entry
    const body = JSON.stringify(failed(error, null))
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${extraHeaders}\r\n${body}`)
  }
  socket.destroy()
}

/** Fastify's clientErrorHandler: the parser's refusals as envelopes. */
export function answerClientError (error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return answerRaw(socket, new CdpError('REQUEST_TIMEOUT'))
  if (error.code === 'HPE_HEADER_OVERFLOW') return answerRaw(socket, new CdpError('HEADERS_TOO_LARGE', 'the request line and headers must fit in 16 KiB'))
  answerRaw(socket, new CdpError('MALFORMED_REQUEST', error.code ?? ''))
}

interface ConnectionState {
  /** Requests answered on it that have not finished. */
  busy: number
  /** performance.now() when it last became idle (or opened). */
  idleSince: number
}

/** At most `max` open connections on the server; idle ones are closed to make room. */
export function capConnections (server: Server, max: number): void {
  const open = new Map<Socket, ConnectionState>()
  server.on('connection', (socket: Socket) => {
    if (open.size >= max) {
      let longestIdle: Socket | undefined
      let since = Infinity
      for (const [candidate, state] of open) {
        if (state.busy === 0 && state.idleSince < since) [longestIdle, since] = [candidate, state.idleSince]
      }
      if (longestIdle === undefined) return answerRaw(socket, new CdpError('TOO_MANY_CONNECTIONS', `${max} connections are busy`), 'Retry-After: 1\r\n')
      open.delete(longestIdle)
      longestIdle.destroy()
    }
    open.set(socket, { busy: 0, idleSince: performance.now() })
    socket.once('close', () => open.delete(socket))
  })
  server.on('request', (request, response) => {
    const state = open.get(request.socket as Socket)
    if (state === undefined) return
    state.busy++
    response.once('close', () => {
      state.busy--
      state.idleSince = performance.now()
    })
  })
}
