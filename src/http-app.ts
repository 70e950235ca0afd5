// The HTTP conventions every server of this project shares (the CDP API, the simulator's
// agent server): request bodies are JSON only and parsed losslessly, validation is decided
// per request part, and every failure, unknown route or wrong method is answered with the envelope.
import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { answerClientError, capConnections } from './connections.js'
import { createAllowedMethods } from './allowed-methods.js'
import { handleError, handleNotFound } from './error-handler.js'
import { parseJson } from './json.js'
import { buildValidatorCompiler } from './validation.js'

export interface HttpAppOptions {
  logger?: FastifyServerOptions['logger']
  /** Bytes; 1 MiB by default (1,000 volumes take about 150 KiB). */
  bodyLimit?: number
  /** ms a whole request may take to arrive (0: no limit). */
  requestTimeout?: number
  /** ms an idle keep-alive connection is kept. */
  keepAliveTimeout?: number
  /** Open connections at most; absent: no cap. */
  maxConnections?: number
}

/** A caller's x-request-id is kept when it is a plain token, so logs join up across services. */
const REQUEST_ID = /^[\w.:-]{1,128}$/

function requestId (header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID()
}

export function createHttpApp (options: HttpAppOptions = {}) {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    requestTimeout: options.requestTimeout ?? 30_000,
    keepAliveTimeout: options.keepAliveTimeout ?? 72_000,
    genReqId: (request) => requestId(request.headers['x-request-id']),
    // A malformed url (bad %-encoding) is the client's fault: answer it with the envelope.
    frameworkErrors: (error, request, reply) => { void handleError(error, request, reply) },
    clientErrorHandler: answerClientError,
    // Node checks request timeouts this often (30 s by default, far coarser than the timeout).
    http: { connectionsCheckingInterval: 1000 }
  }).withTypeProvider<TypeBoxTypeProvider>()
  if (options.maxConnections !== undefined) capConnections(app.server, options.maxConnections)

  // Once closing, answers end their connection: a keep-alive socket that was busy when the
  // close began would otherwise hold the close open for the whole keep-alive timeout.
  let closing = false
  app.addHook('preClose', async () => { closing = true })
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id)
    if (closing) void reply.header('connection', 'close')
  })
  app.setValidatorCompiler(buildValidatorCompiler())
  app.setErrorHandler(handleError)
  const methods = createAllowedMethods()
  app.addHook('onRoute', (route) => { methods.add(route) })
  app.setNotFoundHandler(async (request, reply) => await handleNotFound(request, reply, methods.allowed(request.url.split('?')[0] ?? '')))

  // Only JSON bodies, parsed losslessly; anything else is 415.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJson(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
  return app
}

export type HttpApp = ReturnType<typeof createHttpApp>
