// What the cdp-sim commands that serve a simulator share (agent, serve, cluster): the options
// that say which simulator to open and where to listen, opening it in a worker thread as
// npm start does (a long SQL call or a stalled disk holds up only that thread, never the
// server's /healthz), and listening until SIGTERM/SIGINT with the server closed (and its
// database) afterwards, or until the worker dies.
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { DEFAULTS, loadTopology, openWorkerHarness, servedNamespaces, type Harness, type Topology, type WorkerSimulator } from '../index.js'
import { choiceOption, type CommandIo, integerOption, uint64Option, UsageError } from './command.js'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** Spread into a serving command's options; `port`, `clock` and `log-level` defaults are its own. */
export function servingOptions (defaults: { port: string, clock: 'real' | 'manual', logLevel: typeof LOG_LEVELS[number] }) {
  return {
    host: { type: 'string', value: 'ADDR', default: '127.0.0.1', description: 'address to listen on' },
    port: { type: 'string', value: 'N', default: defaults.port, description: 'port to listen on, 0 for any free port' },
    topology: { type: 'string', value: 'FILE', default: 'fixtures/demo-topology.json', description: 'the cluster to model (JSON); a --db that already has state keeps its own' },
    db: { type: 'string', value: 'PATH', default: ':memory:', description: 'SQLite file that keeps the state across restarts, or :memory:' },
    clock: { type: 'string', value: 'real|manual', default: defaults.clock, description: 'real: the wall clock; manual: moves only by POST /sim/v1/clock/advance' },
    'clock-start': { type: 'string', value: 'NS', description: `where a manual clock starts, ns since the epoch (default: ${DEFAULTS.manualClockStart}, the spec's example time); manual clock only` },
    'snapshot-interval': { type: 'string', value: 'S', default: String(DEFAULTS.snapshotIntervalSeconds), description: 'seconds between auto snapshots while CDP is on' },
    'log-level': { type: 'string', value: 'LEVEL', default: defaults.logLevel, description: `request log on stdout (pino JSON): ${LOG_LEVELS.join(', ')}` }
  } as const
}

export interface ServingValues {
  host: string
  port: string
  topology: string
  db: string
  clock: string
  'clock-start': string | undefined
  'snapshot-interval': string
  'log-level': string
}

export interface Serving {
  harness: Harness<WorkerSimulator>
  /** The topology file's cluster (a --db with state may hold its own). */
  topology: Topology
  host: string
  port: number
  level: typeof LOG_LEVELS[number]
}

/** Checks the options and opens the simulator they name (only these namespaces, when given) in its worker thread. */
export async function openServing (values: ServingValues, namespaces: readonly string[] = []): Promise<Serving> {
  const port = integerOption(values.port, 'port', 0, 65535)
  const clock = choiceOption(values.clock, 'clock', ['real', 'manual'])
  const clockStart = values['clock-start'] === undefined ? undefined : uint64Option(values['clock-start'], 'clock-start')
  if (clockStart !== undefined && clock !== 'manual') throw new UsageError('--clock-start needs --clock manual')
  const snapshotIntervalSeconds = integerOption(values['snapshot-interval'], 'snapshot-interval', 1)
  const level = choiceOption(values['log-level'], 'log-level', LOG_LEVELS)
  if (values.host === '') throw new UsageError('--host must not be empty')
  const topology = loadTopology(values.topology, '--topology')
  const harness = await openWorkerHarness({
    db: values.db,
    topology,
    ...(namespaces.length === 0 ? {} : { namespaces: servedNamespaces(topology, namespaces) }),
    clock: { mode: clock, ...(clockStart === undefined ? {} : { start: clockStart }) },
    snapshotIntervalSeconds
  })
  return { harness, topology, host: values.host, port, level }
}

/** Settles, with what to say, if the simulator's worker thread stops by itself. */
export async function workerDied (simulator: WorkerSimulator): Promise<string> {
  const err = await simulator.stopped
  return `the simulator's worker thread stopped (${err.message})`
}

function untilAborted (signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => { resolve() }, { once: true })
  })
}

/**
 * Builds the server (closing the simulator if that fails), listens, tells `announce` its
 * base URL, and serves until `stop` aborts (0) or the simulator's worker thread dies (1,
 * with its reason on stderr: it cannot come back in this process, so a supervisor restarts
 * it); then closes the server and the simulator.
 */
export async function serveUntilStopped (serving: Serving, build: () => Promise<FastifyInstance>, io: Pick<CommandIo, 'stop' | 'err'>, announce: (url: string) => void): Promise<number> {
  const app = await build().catch(async (err: unknown) => {
    await serving.harness.simulator.close()
    throw err
  })
  try {
    await app.listen({ host: serving.host, port: serving.port })
  } catch (err) {
    await app.close()
    throw err
  }
  const address = app.server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  announce(`http://${host}:${address.port}`)
  const code = await Promise.race([
    untilAborted(io.stop).then(() => 0),
    workerDied(serving.harness.simulator).then((reason) => { io.err(`cdp-sim: ${reason}; exiting`); return 1 })
  ])
  await app.close()
  return code
}
