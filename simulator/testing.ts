// `import { startSimulator } from 'volume-cdp/testing'`: the CDP API on a fresh simulator, on a
// free loopback port, for other teams' JavaScript test suites. `control` is a typed client
// of /sim/v1; `client` calls the CDP API and answers `data` (a failure envelope throws a
// RemoteError with its scode). Times in ns come back as bigint where they pass 2^53.
import type { FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Ns } from '../src/backend/port.js'
import { stringify } from 'lossless-json'
import { request } from 'undici'
import { API_PREFIX, CdpError } from '../src/client/index.js'
import { parseExact } from '../src/json.js'
import type { BlockWrite, ClockMode } from './control.js'
import type { FaultRule, FaultRuleInput } from './faults.js'
import { buildSimulatorApp, openHarness, STATE_MEDIA_TYPE } from './harness.js'
import { DEFAULTS, type SimulatorOptions } from './options.js'
import { loadTopology, type Topology } from './topology.js'

export { CdpError as RemoteError }

export interface StartOptions {
  /** The cluster to model; the demo topology (the spec's ids) by default. */
  topology?: Topology
  /** Manual by default: a test moves it with control.advance. */
  clock?: SimulatorOptions['clock']
  /** A SQLite file to keep the state in; memory by default. */
  db?: string
  snapshotIntervalSeconds?: number
}

export interface CdpClient {
  get: (path: string, query?: Record<string, string | number | bigint>) => Promise<any>
  post: (path: string, body: unknown) => Promise<any>
}

export interface Control {
  clock: () => Promise<{ now: Ns, mode: ClockMode }>
  advance: (by: { seconds: number | bigint } | { nanoseconds: number | bigint }) => Promise<{ now: Ns, mode: ClockMode }>
  write: (volumeUuid: string, writes: Array<{ offset: number, length: number, fill: number } | { offset: number, data: string }>) => Promise<{ count: number, time: Ns }>
  image: (volumeUuid: string, at?: Ns) => Promise<{ digest: string, time: Ns }>
  recoverable: (volumeUuid: string) => Promise<{ ranges: Array<{ from: Ns, to: Ns, seq: bigint }> }>
  setHostOnline: (hostUuid: string, online: boolean) => Promise<void>
  setVmRunning: (vmUuid: string, running: boolean) => Promise<void>
  snapshots: (volumeUuids: string[]) => Promise<{ snapshots: Array<{ volume_uuid: string, name: string, time: Ns, taken: boolean }> }>
  addFault: (rule: Omit<FaultRuleInput, 'id'>) => Promise<FaultRule>
  faults: () => Promise<FaultRule[]>
  removeFault: (id: string) => Promise<void>
  clearFaults: () => Promise<void>
  /** The whole state as a SQLite file, and back. */
  saveState: () => Promise<Buffer>
  loadState: (file: Uint8Array) => Promise<void>
}

export interface StartedSimulator {
  /** Base URL, e.g. http://127.0.0.1:40123 (the API at /v1/volume/internal/cdp, the control API at /sim/v1). */
  url: string
  client: CdpClient
  control: Control
  /** Back to the first state (another topology when given); a manual clock to its start; fault rules cleared. */
  reset: (topology?: Topology) => Promise<void>
  close: () => Promise<void>
}

/** The demo topology of this package: beside simulator/ in a checkout, two levels up from dist/simulator/ when built. */
const DEMO_TOPOLOGY = new URL(`${import.meta.url.includes('/dist/simulator/') ? '../..' : '..'}/fixtures/demo-topology.json`, import.meta.url)

/** /sim/v1 calls: lossless answers (ns above 2^53 as bigint), a failure envelope as CdpError. */
interface SimCalls {
  get: (path: string) => Promise<unknown>
  post: (path: string, body: unknown) => Promise<unknown>
  delete: (path: string) => Promise<unknown>
  put: (path: string, bytes: Uint8Array, type: string) => Promise<unknown>
  getBytes: (path: string) => Promise<Buffer>
}

function simCalls (base: string): SimCalls {
  const send = async (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: string | Uint8Array, type = 'application/json'): Promise<{ status: number, bytes: Buffer }> => {
    const res = await request(`${base}${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': type } }) })
    return { status: res.statusCode, bytes: Buffer.from(await res.body.arrayBuffer()) }
  }
  const data = ({ status, bytes }: { status: number, bytes: Buffer }): unknown => {
    const answer = parseExact(bytes.toString('utf8')) as { scode: number, message: string, message_cn: string, desc: string, data: unknown }
    if (answer.scode !== 0) throw new CdpError(answer.scode, status, answer.message, answer.desc, answer.message_cn, '')
    return answer.data
  }
  return {
    get: async (path) => data(await send('GET', path)),
    post: async (path, body) => data(await send('POST', path, stringify(body) ?? '{}')),
    delete: async (path) => data(await send('DELETE', path)),
    put: async (path, bytes, type) => data(await send('PUT', path, bytes, type)),
    getBytes: async (path) => {
      const answer = await send('GET', path)
      return answer.status === 200 ? answer.bytes : data(answer) as never
    }
  }
}

function controlOver (sim: SimCalls): Control {
  const s = '/sim/v1'
  return {
    clock: async () => await sim.get(`${s}/clock`) as { now: Ns, mode: ClockMode },
    advance: async (by) => await sim.post(`${s}/clock/advance`, by) as { now: Ns, mode: ClockMode },
    write: async (volumeUuid, writes) => await sim.post(`${s}/volumes/${volumeUuid}/writes`, { writes }) as { count: number, time: Ns },
    image: async (volumeUuid, at) => await sim.get(`${s}/volumes/${volumeUuid}/image${at === undefined ? '' : `?at=${at}`}`) as { digest: string, time: Ns },
    recoverable: async (volumeUuid) => await sim.get(`${s}/volumes/${volumeUuid}/recoverable`) as { ranges: Array<{ from: Ns, to: Ns, seq: bigint }> },
    setHostOnline: async (hostUuid, online) => { await sim.post(`${s}/hosts/${hostUuid}/state`, { online }) },
    setVmRunning: async (vmUuid, running) => { await sim.post(`${s}/vms/${vmUuid}/state`, { running }) },
    snapshots: async (volumes) => await sim.post(`${s}/snapshots`, { volumes }) as { snapshots: Array<{ volume_uuid: string, name: string, time: Ns, taken: boolean }> },
    addFault: async (rule) => await sim.post(`${s}/faults`, rule) as FaultRule,
    faults: async () => (await sim.get(`${s}/faults`) as { rules: FaultRule[] }).rules,
    removeFault: async (id) => { await sim.delete(`${s}/faults/${id}`) },
    clearFaults: async () => { await sim.delete(`${s}/faults`) },
    saveState: async () => await sim.getBytes(`${s}/state`),
    loadState: async (file) => { await sim.put(`${s}/state`, file, STATE_MEDIA_TYPE) }
  }
}

export async function startSimulator (options: StartOptions = {}): Promise<StartedSimulator> {
  const harness = openHarness({
    db: options.db ?? ':memory:',
    topology: options.topology ?? loadTopology(fileURLToPath(DEMO_TOPOLOGY)),
    clock: options.clock ?? { mode: 'manual', start: DEFAULTS.manualClockStart },
    ...(options.snapshotIntervalSeconds === undefined ? {} : { snapshotIntervalSeconds: options.snapshotIntervalSeconds })
  })
  const app: FastifyInstance = await buildSimulatorApp(harness)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const sim = simCalls(url)
  const query = (q: Record<string, string | number | bigint> = {}): string => {
    const text = new URLSearchParams(Object.entries(q).map(([k, v]) => [k, String(v)])).toString()
    return text === '' ? '' : `?${text}`
  }
  return {
    url,
    client: {
      get: async (path, q) => await sim.get(`${API_PREFIX}${path}${query(q)}`),
      post: async (path, body) => await sim.post(`${API_PREFIX}${path}`, body)
    },
    control: controlOver(sim),
    reset: async (topology) => { await sim.post('/sim/v1/reset', topology === undefined ? {} : { topology }) },
    close: async () => { await app.close() }
  }
}

export type { BlockWrite, FaultRule, FaultRuleInput, Topology }
