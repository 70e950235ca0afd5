// Raw HTTP/1.1 over node:net, for tests that must send bytes exactly as written: HTTP clients
// normalise request targets (dot segments, absolute form) and refuse malformed ones.
import { connect } from 'node:net'

/**
 * Sends the bytes, ends the writing side (unless `halfClose` is false: then the request must
 * say Connection: close), and collects whatever comes back until the server closes.
 */
export function exchange (port: number, bytes: Buffer | string, { halfClose = true } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = connect({ host: '127.0.0.1', port }, () => { if (halfClose) socket.end(bytes); else socket.write(bytes) })
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The server may reset a connection it refused before reading all we sent.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve(Buffer.concat(chunks).toString('latin1'))
      else reject(err)
    })
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
  })
}

export interface RawResponse {
  status: number
  headers: Record<string, string>
  /** The body as text, de-chunked. */
  body: string
}

/** The first response in what a server sent; undefined when it sent none. */
export function parseResponse (text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n')
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(text)
  if (end === -1 || match === null) return undefined
  const headers: Record<string, string> = {}
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  let body = text.slice(end + 4)
  if (headers['transfer-encoding'] === 'chunked') {
    let plain = ''
    for (let at = 0; ;) {
      const lineEnd = body.indexOf('\r\n', at)
      const size = parseInt(body.slice(at, lineEnd), 16)
      if (!(size > 0)) break
      plain += body.slice(lineEnd + 2, lineEnd + 2 + size)
      at = lineEnd + 2 + size + 2
    }
    body = plain
  } else if (headers['content-length'] !== undefined) {
    body = body.slice(0, Number(headers['content-length']))
  }
  return { status: Number(match[1]), headers, body: Buffer.from(body, 'latin1').toString('utf8') }
}

/** The bytes of one request that closes its connection after the answer. */
export function rawRequest (method: string, target: string, headers: Record<string, string> = {}, body?: string): string {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close']
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`)
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`
}
