// buildApp: the one way the HTTP app is built, for the server and for tests alike, so both
// see the same parsing, validation, serialisation and error envelopes.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import { instrument } from './backend/instrumented.js'
import type { CdpBackend } from './backend/port.js'
import { createHttpApp, type HttpAppOptions } from './http-app.js'
import auth, { type ApiToken } from './plugins/auth.js'
import metricsPlugin, { createMetrics, type Metrics } from './plugins/metrics.js'
import health from './routes/health.js'
import cdpRoutes, { API_PREFIX } from './routes/index.js'
import type { Registry } from 'prom-client'

export interface AppOptions extends HttpAppOptions {
  /** Where CDP state lives. The app closes it when it closes. */
  backend: CdpBackend
  /**
   * A plugin of the backend's own (the simulator's control API), mounted at `prefix` in a
   * context of its own; server.ts passes it in, so nothing here depends on the simulator.
   */
  controlApi?: MountedPlugin
  /** Adds the backend's gauges to the app's registry (the simulator's journal figures). */
  registerGauges?: (registry: Registry) => void
  maxVolumesPerBatch?: number
  /** Bearer tokens the API and the control API require; absent: no authentication. */
  tokens?: ApiToken[]
  /** Where request and backend figures go (shared with an agent client); made here if absent. */
  metrics?: Metrics
}

export interface MountedPlugin {
  prefix: string
  plugin: FastifyPluginAsync
}

export async function buildApp (options: AppOptions): Promise<FastifyInstance> {
  const { logger, bodyLimit, requestTimeout, keepAliveTimeout } = options
  const app = createHttpApp({ logger, bodyLimit, requestTimeout, keepAliveTimeout })
  const metrics = options.metrics ?? createMetrics()
  const backend = instrument(options.backend, metrics.observeBackendCall)
  const { controlApi } = options
  options.registerGauges?.(metrics.registry)
  await app.register(metricsPlugin, { metrics })
  const controlPrefixes = controlApi === undefined ? [] : [controlApi.prefix]
  if (options.tokens !== undefined) {
    await app.register(auth, { tokens: options.tokens, protectedPrefixes: [API_PREFIX, ...controlPrefixes], globalOnlyPrefixes: controlPrefixes })
  }
  await app.register(health, { backend })

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
    backend,
    maxVolumesPerBatch: options.maxVolumesPerBatch ?? 1000
  })
  if (controlApi !== undefined) {
    // The wrapper is the control API's own context: a hook or route flag added here reaches its routes only.
    await app.register(async (scope) => { await scope.register(controlApi.plugin) }, { prefix: controlApi.prefix })
  }

  app.addHook('onClose', async () => { await options.backend.close() })
  return app
}
