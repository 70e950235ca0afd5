// buildApp: the one way the HTTP app is built, for the server and for tests alike, so both
// see the same parsing, validation, serialisation and error envelopes.
import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { CdpBackend } from './backend/port.js'
import { createHttpApp, type HttpAppOptions } from './http-app.js'
import cdpRoutes from './routes/index.js'
import type { SimulatorControl } from '../simulator/control.js'
import controlApi from '../simulator/control-api.js'

export interface AppOptions extends HttpAppOptions {
  /** Where CDP state lives. The app closes it when it closes. */
  backend: CdpBackend
  /** Mounts the simulator's control API at /sim/v1 when given. */
  simulator?: SimulatorControl
  maxVolumesPerBatch?: number
}

export const API_PREFIX = '/v1/volume/internal/cdp'

export async function buildApp (options: AppOptions): Promise<FastifyInstance> {
  const app = createHttpApp({ logger: options.logger, bodyLimit: options.bodyLimit })

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
