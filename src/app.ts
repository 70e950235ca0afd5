// buildApp: the one way the HTTP app is built, for the server and for tests alike, so both
// see the same parsing, validation, serialisation and error envelopes.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import cors from '@fastify/cors'
import { instrument } from './backend/instrumented.js'
import type { CdpBackend } from './backend/port.js'
import { createHttpApp, type HttpAppOptions } from './http-app.js'
import { PROTECTION_GAUGE_VOLUMES, registerProtectionGauges } from './protection-gauges.js'
import { DEFAULT_WARNING_FRACTION } from './protection-pressure.js'
import auth, { clusterWide, type ApiToken, type PublicRoute } from './plugins/auth.js'
import metricsPlugin, { createMetrics, type Metrics } from './plugins/metrics.js'
import openapi from './plugins/openapi.js'
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
  /** `window` reports pressure `warning` below this fraction of reserve_duration (default 0.85). */
  windowWarningFraction?: number
  /** The most volumes one scrape's protection gauges export (default PROTECTION_GAUGE_VOLUMES). */
  maxGaugeVolumes?: number
  /** Bearer tokens the API and the control API require; absent: no authentication. */
  tokens?: ApiToken[]
  /** Browser origins that may call the API (CORS); absent or empty: no CORS headers at all. */
  corsOrigins?: string[]
  /** Where request and backend figures go (shared with an agent client); made here if absent. */
  metrics?: Metrics
}

export interface MountedPlugin {
  prefix: string
  plugin: FastifyPluginAsync
}

const DOCS_PREFIX = '/docs'

/**
 * The routes anyone may call, by route pattern: probes, the API docs, and CORS preflights
 * (answered before any handler runs). Every other route, present or future, needs a token.
 */
const PUBLIC_ROUTES: PublicRoute[] = [
  { url: '/healthz' },
  { url: '/readyz' },
  { url: DOCS_PREFIX },
  { url: `${DOCS_PREFIX}/*` },
  { url: '*', method: 'OPTIONS' }
]

export async function buildApp (options: AppOptions): Promise<FastifyInstance> {
  const { logger, bodyLimit, requestTimeout, keepAliveTimeout, maxConnections } = options
  const app = createHttpApp({ logger, bodyLimit, requestTimeout, keepAliveTimeout, maxConnections })
  const metrics = options.metrics ?? createMetrics()
  const backend = instrument(options.backend, metrics.observeBackendCall)
  const warningFraction = options.windowWarningFraction ?? DEFAULT_WARNING_FRACTION
  options.registerGauges?.(metrics.registry)
  registerProtectionGauges(metrics.registry, { backend, warningFraction, maxVolumes: options.maxGaugeVolumes ?? PROTECTION_GAUGE_VOLUMES })
  // First, so that it sees every route.
  await app.register(openapi, { docsPrefix: DOCS_PREFIX, publicRoutes: PUBLIC_ROUTES })
  await app.register(metricsPlugin, { metrics })
  // Before auth: @fastify/cors answers a preflight in its onRequest hook, so the browser's
  // token-less OPTIONS never reaches the token check (the real request after it carries one).
  if (options.corsOrigins !== undefined && options.corsOrigins.length > 0) {
    await app.register(cors, { origin: options.corsOrigins, exposedHeaders: ['x-request-id'] })
  }
  if (options.tokens !== undefined) {
    await app.register(auth, { tokens: options.tokens, publicRoutes: PUBLIC_ROUTES })
  }
  await app.register(health, { backend })

  await app.register(cdpRoutes, {
    prefix: API_PREFIX,
    backend,
    maxVolumesPerBatch: options.maxVolumesPerBatch ?? 1000,
    windowWarningFraction: warningFraction
  })
  if (options.controlApi !== undefined) await app.register(clusterWide(options.controlApi.plugin), { prefix: options.controlApi.prefix })

  app.addHook('onClose', async () => { await options.backend.close() })
  return app
}
