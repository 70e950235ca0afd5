// application/octet-stream bodies, read up to a limit of their own. The limit is enforced as
// the body streams in: a declared content-length beyond it is refused before a byte is read,
// and a chunked body is refused the moment it passes it, so nothing holds more than the limit.
import type { FastifyInstance } from 'fastify'
import { CdpError } from '../src/errors.js'

export const OCTET_STREAM = 'application/octet-stream'

/** Adds an octet-stream parser to `app`'s scope: bodies arrive as one Buffer of at most `limit` bytes. */
export function acceptRawBodies (app: FastifyInstance, limit: number): void {
  const tooLarge = (): CdpError => new CdpError('BODY_TOO_LARGE', `a raw body carries at most ${limit} bytes`)
  app.addContentTypeParser(OCTET_STREAM, (request, payload, done) => {
    if (Number(request.headers['content-length']) > limit) {
      done(tooLarge(), undefined)
      return
    }
    const chunks: Buffer[] = []
    let received = 0
    const stop = (): void => {
      payload.removeListener('data', onData)
      payload.removeListener('end', onEnd)
      payload.removeListener('error', onError)
    }
    const onData = (chunk: Buffer): void => {
      received += chunk.length
      if (received > limit) {
        // What is left of the body is not read: the answer closes the connection.
        stop()
        chunks.length = 0
        done(tooLarge(), undefined)
        return
      }
      chunks.push(chunk)
    }
    const onEnd = (): void => {
      stop()
      done(null, Buffer.concat(chunks, received))
    }
    const onError = (error: Error): void => {
      stop()
      done(error, undefined)
    }
    payload.on('data', onData)
    payload.on('end', onEnd)
    payload.on('error', onError)
  })
}
