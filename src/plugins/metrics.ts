// GET /metrics in Prometheus text format: requests by route and scode, request latency,
// backend call latency and failures (per agent where the backend has agents), and any
// gauges the app is given (buildApp's registerGauges: the simulator's, in simulator mode).
// Each app has its own registry, so several apps in one process (tests) never collide.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Histogram, Registry } from 'prom-client'

declare module 'fastify' {
  interface FastifyRequest {
    /** The scode the request was answered with (0 unless the error handler set one). */
    scode?: number
  }
  interface FastifyInstance {
    metrics: Metrics
  }
}

export interface Metrics {
  registry: Registry
  /** One call of the API into its backend, whatever the backend is. */
  observeBackendCall: (operation: string, seconds: number, scode: number) => void
  /** One attempt of the agent client toward one agent. */
  observeAgentCall: (operation: string, agent: string, seconds: number, scode: number) => void
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

export function createMetrics (): Metrics {
  const registry = new Registry()
  const latency = (name: string, help: string, labelNames: string[]) =>
    new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [registry] })
  const failures = (name: string, help: string, labelNames: string[]) =>
    new Counter({ name, help, labelNames, registers: [registry] })
  const backendSeconds = latency('cdp_backend_call_seconds', 'Backend call latency by operation', ['operation'])
  const backendErrors = failures('cdp_backend_errors_total', 'Backend calls that failed, by operation and scode', ['operation', 'scode'])
  const agentSeconds = latency('cdp_agent_request_seconds', 'Requests to node agents by operation and agent', ['operation', 'agent'])
  const agentErrors = failures('cdp_agent_errors_total', 'Failed requests to node agents by operation, agent and scode', ['operation', 'agent', 'scode'])
  return {
    registry,
    observeBackendCall: (operation, seconds, scode) => {
      backendSeconds.observe({ operation }, seconds)
      if (scode !== 0) backendErrors.inc({ operation, scode: String(scode) })
    },
    observeAgentCall: (operation, agent, seconds, scode) => {
      agentSeconds.observe({ operation, agent }, seconds)
      if (scode !== 0) agentErrors.inc({ operation, agent, scode: String(scode) })
    }
  }
}

async function metricsPlugin (app: FastifyInstance, options: { metrics: Metrics }): Promise<void> {
  const { registry } = options.metrics
  const requests = new Counter({
    name: 'cdp_http_requests_total',
    help: 'HTTP requests by route, method, status and scode',
    labelNames: ['route', 'method', 'status', 'scode'],
    registers: [registry]
  })
  const latency = new Histogram({
    name: 'cdp_http_request_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route', 'method'],
    buckets: LATENCY_BUCKETS,
    registers: [registry]
  })
  app.decorate('metrics', options.metrics)

  // Each request's labels, made once per series rather than per request (the hook runs on
  // every answer); a callback hook, so no promise per request either.
  const series = new Map<string, { count: Record<string, string>, latency: Record<string, string> }>()
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, not the url: ids in paths would make a series per volume.
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${reply.statusCode} ${request.scode ?? 0} ${route}`
    let labels = series.get(key)
    if (labels === undefined) {
      const byRoute = { route, method: request.method }
      labels = { count: { ...byRoute, status: String(reply.statusCode), scode: String(request.scode ?? 0) }, latency: byRoute }
      series.set(key, labels)
    }
    requests.inc(labels.count)
    latency.observe(labels.latency, reply.elapsedTime / 1000)
    done()
  })

  // Every volume's uuid and journal figures: a global or a metrics token when tokens are on.
  app.get('/metrics', {
    schema: {
      operationId: 'metrics',
      tags: ['ops'],
      summary: 'Prometheus metrics: requests by route and scode, latencies, backend and agent calls, journal gauges (a global or a metrics token)',
      'x-doc-response': { 200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } }
    },
    config: { access: 'metrics' }
  }, async (_request, reply) => {
    return await reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default fp(metricsPlugin, { name: 'volume-cdp-metrics', fastify: '5.x' })
