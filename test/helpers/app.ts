// One app over its own in-memory simulator per test, built by the same buildApp() as the
// server, and a lossless reader for answers (ns times above 2^53 come back as bigint).
import { parseExact, printExact } from '../../src/json.js'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { request } from 'undici'
import { buildApp, type AppOptions } from '../../src/app.js'
import { DEMO, demoTopology } from './demo.js'
import { buildSimulatorApp, openHarness, openSimulator, simulatorAppOptions, type Simulator, type Topology } from '../../simulator/index.js'
import { NS_PER_SECOND, type Ns } from '../../src/backend/port.js'

export { DEMO, DEMO_TOPOLOGY } from './demo.js'

export const CDP = '/v1/volume/internal/cdp'
export const SECOND = NS_PER_SECOND

export interface Teardown { teardown: (fn: () => unknown) => void }

export interface TestApp {
  app: FastifyInstance
  sim: Simulator
}

export async function openTestApp (t: Teardown, options: {
  topology?: Topology
  clockStart?: Ns
  app?: Partial<AppOptions>
  snapshotIntervalSeconds?: number
} = {}): Promise<TestApp> {
  const sim = openSimulator({
    db: ':memory:',
    topology: options.topology ?? demoTopology,
    clock: { mode: 'manual', ...(options.clockStart === undefined ? {} : { start: options.clockStart }) },
    ...(options.snapshotIntervalSeconds === undefined ? {} : { snapshotIntervalSeconds: options.snapshotIntervalSeconds })
  })
  const app = await buildApp({ backend: sim, ...simulatorAppOptions(sim), ...options.app })
  t.teardown(() => app.close())
  return { app, sim }
}

/** The OpenAPI document (/docs/json) of the API as `cdp-sim serve` mounts it: the control API, its block routes, the harness and the fault rules. */
export async function servedDocs (): Promise<any> {
  const app = await buildSimulatorApp(openHarness({ db: ':memory:', topology: demoTopology, clock: { mode: 'manual' } }))
  try {
    return JSON.parse((await app.inject({ method: 'GET', url: '/docs/json' })).body)
  } finally {
    await app.close()
  }
}

export interface Answer {
  status: number
  // Tests read answers by field; the shape is what they assert.
  body: any
}

export async function call (app: FastifyInstance, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown): Promise<Answer> {
  const options: InjectOptions = { method, url }
  if (payload !== undefined) {
    options.headers = { 'content-type': 'application/json' }
    options.payload = typeof payload === 'string' ? payload : printExact(payload)
  }
  const res = await app.inject(options)
  return { status: res.statusCode, body: parseExact(res.body) }
}

/** The same call over HTTP to a server listening at `base` (loopback); a string payload goes as it is. */
export async function callHttp (base: string, method: 'GET' | 'POST', path: string, payload?: unknown): Promise<Answer> {
  const res = await request(`${base}${path}`, {
    method,
    ...(payload === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof payload === 'string' ? payload : printExact(payload) })
  })
  return { status: res.statusCode, body: parseExact(await res.body.text()) }
}

export function volume (uuid: string, extra: Record<string, string> = {}) {
  return { cluster_uuid: DEMO.cluster, volume_uuid: uuid, ...extra }
}
