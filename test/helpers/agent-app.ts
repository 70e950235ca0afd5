// The API app in agent mode, built by the same buildApp() as the server, over an
// AgentBackend toward agents on loopback; closed (with its pools) at the test's end.
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { createAgentBackend, type AgentBackendOptions } from '../../src/backend/agent/backend.js'
import type { AgentRoute } from '../../src/backend/agent/routing.js'
import { DEMO, type Teardown } from './app.js'

export async function openAgentApp (t: Teardown, routes: AgentRoute[], options: Partial<AgentBackendOptions> = {}): Promise<FastifyInstance> {
  const backend = createAgentBackend({ routes, timeoutMs: 5000, retries: 2, concurrency: 16, backoffMs: 10, ...options })
  const app = await buildApp({ backend })
  t.teardown(() => app.close())
  return app
}

/** The demo cluster on one agent. */
export function demoOn (url: string): AgentRoute[] {
  return [{ cluster_uuid: DEMO.cluster, urls: [url] }]
}
