// Which failures are the client's: Fastify's own request errors by their status, judged by
// toCdpError directly (the app routes few of them here; the envelope they get is bad-input's).
import t from 'tap'
import type { FastifyError, FastifyRequest } from 'fastify'
import { toCdpError } from '../../src/error-handler.js'

const request = { headers: {}, body: undefined } as unknown as FastifyRequest
const fastifyError = (statusCode: number | undefined): FastifyError =>
  Object.assign(new Error(`status ${String(statusCode)}`), { code: 'FST_ERR_SOMETHING', statusCode }) as FastifyError

t.test('a Fastify error with a 4xx status is INVALID_PARAMETER with its message; any other status is a bug', async (t) => {
  for (const status of [400, 404, 499]) {
    const error = toCdpError(fastifyError(status), request)
    t.same({ code: error?.code, desc: error?.desc }, { code: 'INVALID_PARAMETER', desc: `status ${status}` }, `${status}`)
  }
  for (const status of [undefined, 200, 399, 500, 503]) t.equal(toCdpError(fastifyError(status), request), undefined, `${String(status)}`)
})
