// One app over its own in-memory simulator per test, built by the same buildApp() as the
// server, and a lossless reader for answers (ns times above 2^53 come back as bigint).
import { isSafeNumber, parse, stringify } from 'lossless-json'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { request } from 'undici'
import { buildApp, type AppOptions } from '../../src/app.js'
import { loadTopology, openSimulator, simulatorAppOptions, type Simulator, type Topology } from '../../simulator/index.js'
import { NS_PER_SECOND, type Ns } from '../../src/backend/port.js'

export const DEMO_TOPOLOGY = 'fixtures/demo-topology.json'

/** Ids and names of the demo topology (the spec's own). */
export const DEMO = {
  cluster: 'ee3ae4de-811a-45b5-b339-f7ad45872c33',
  namespace: '6a2cef30-d8f8-4268-aad0-172834d95768',
  ken: '257d6354-be6d-45ec-b65d-e961d6a1274b',
  lin: '8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
  kenVolume: 'aae751ba-8b97-4259-9579-c40cbb806d9d',
  vol1: 'ff3ac375-6acd-433e-8b7e-85ce528b85ad',
  cdp1: 'ddc4adf3-830e-4ec3-b1dc-85571aea15c7',
  linVolume: '5e8d1a2b-3c4f-4d6e-8a9b-0c1d2e3f4a5b',
  linNamespace: '0d6f3b8e-2c1a-4f5e-9b7d-3e8a1c2b4d60',
  linData: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
  kenVm: '25ebed59-522a-4779-9f38-b483b551e7fa',
  host1: '48459090-6ced-4476-a6b4-2880b1e21d5a',
  host2: '7b2e9c41-5d3a-4e8f-a1b6-c9d0e2f3a4b5'
} as const

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
    topology: options.topology ?? loadTopology(DEMO_TOPOLOGY),
    clock: { mode: 'manual', ...(options.clockStart === undefined ? {} : { start: options.clockStart }) },
    ...(options.snapshotIntervalSeconds === undefined ? {} : { snapshotIntervalSeconds: options.snapshotIntervalSeconds })
  })
  const app = await buildApp({ backend: sim, ...simulatorAppOptions(sim), ...options.app })
  t.teardown(() => app.close())
  return { app, sim }
}

/** JSON.parse that keeps integers above 2^53 exact, as bigint. */
export function parseLossless (text: string): unknown {
  return parse(text, null, (n) => isSafeNumber(n) ? Number(n) : BigInt(n))
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
    options.payload = typeof payload === 'string' ? payload : stringifyLossless(payload)
  }
  const res = await app.inject(options)
  return { status: res.statusCode, body: parseLossless(res.body) }
}

/** The same call over HTTP to a server listening at `base` (loopback); a string payload goes as it is. */
export async function callHttp (base: string, method: 'GET' | 'POST', path: string, payload?: unknown): Promise<Answer> {
  const res = await request(`${base}${path}`, {
    method,
    ...(payload === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: typeof payload === 'string' ? payload : stringifyLossless(payload) })
  })
  return { status: res.statusCode, body: parseLossless(await res.body.text()) }
}

/** JSON text with bigint printed as JSON integers, as a client with exact ns times sends. */
export function stringifyLossless (value: unknown): string {
  return stringify(value) ?? ''
}

export function volume (uuid: string, extra: Record<string, string> = {}) {
  return { cluster_uuid: DEMO.cluster, volume_uuid: uuid, ...extra }
}
