// buildApp: the one way the HTTP app is built, for the server and for tests alike, so both
// see the same parsing, validation, serialisation and error envelopes.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { CdpBackend } from './backend/port.js'
import { handleError, handleNotFound } from './error-handler.js'
import { parseJson } from './json.js'
import cdpRoutes from './routes/index.js'
import { buildValidatorCompiler } from './validation.js'
import type { SimulatorControl } from '../simulator/control.js'
import controlApi from '../simulator/control-api.js'

export interface AppOptions {
  /** Where CDP state lives. The app closes it when it closes. */
  backend: CdpBackend
  /** Mounts the simulator's control API at /sim/v1 when given. */
  simulator?: SimulatorControl
  logger?: FastifyServerOptions['logger']
  /** Bytes; 1 MiB by default (1,000 volumes take about 150 KiB). */
  bodyLimit?: number
  maxVolumesPerBatch?: number
}

export const API_PREFIX = '/v1/volume/internal/cdp'

export async function buildApp (options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // A malformed url (bad %-encoding) is the client's fault: answer it with the envelope.
    frameworkErrors: (error, request, reply) => { void handleError(error, request, reply) }
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(buildValidatorCompiler())
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)

  // Only JSON bodies, parsed losslessly; anything else is 415.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJson(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'volume-cdp',
        description: '卷CDP（持续数据保护）内部接口。uint64 fields are exact: JSON integers, or decimal strings in requests.',
        version: '0.1.0'
      }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  await app.register(cdpRoutes, {
    prefix: API_PREFIX,
    backend: options.backend,
    maxVolumesPerBatch: options.maxVolumesPerBatch ?? 1000
  })
  if (options.simulator !== undefined) {
    await app.register(controlApi, { prefix: '/sim/v1', control: options.simulator })
  }

  app.addHook('onClose', async () => { await options.backend.close() })
  return app
}
