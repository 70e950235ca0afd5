// The simulator in a worker thread, seen from the main thread: an object with the Simulator's
// interfaces (CdpBackend, SimulatorControl, HarnessControl, what the NBD exports use) whose
// every call is one message to the worker (worker-thread.ts) and one reply. The worker runs
// calls in arrival order over its one SQL connection, as the in-process Simulator does; the
// main thread meanwhile answers /healthz and anything else that does not need the simulator.
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { CdpError } from '../src/errors.js'
import { clockOriginNow, realNow } from './clock.js'
import type { ViewListener } from './control.js'
import { dataVersionOf, InfoCache } from './info-cache.js'
import { harnessOver, type Harness } from './harness.js'
import type { SimulatorOptions } from './options.js'
import type { Simulator } from './simulator.js'
import {
  type CallMessage, fromWire, REMOTE_METHODS, type RemoteMethod, type ReplyMessage, restoreErrors,
  type TestHook, type WorkerEvent, type WorkerStart
} from './worker-protocol.js'

/** A simulator in its worker thread with fault rules in front (on the main thread): what npm start and cdp-sim serve run. */
export async function openWorkerHarness (options: SimulatorOptions, workerOptions: WorkerSimulatorOptions = {}): Promise<Harness<WorkerSimulator>> {
  return harnessOver(await openWorkerSimulator(options, workerOptions))
}

/** How long /readyz waits for the worker before it calls the simulator busy. */
export const READY_WITHIN_MS = 1000

type Remote<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never }

export type WorkerSimulator = Remote<Pick<Simulator, RemoteMethod>> & {
  onViewChange: (listener: ViewListener) => void
  /** Settles with the reason if the worker stops by itself (a crash); never after close. */
  readonly stopped: Promise<Error>
} & Partial<Remote<Record<TestHook, (arg?: number) => void>>>

export interface WorkerSimulatorOptions {
  /** Adds stallForTest(ms) and crashForTest() (tests only). */
  testHooks?: boolean
  /** How long `ready` waits for an answer (default READY_WITHIN_MS). */
  readyWithinMs?: number
}

/**
 * The worker's young generation, in MB (V8's default is 48). The simulator's calls make
 * short-lived objects by the thousand; with the default, the worker's young space alone held
 * 32 MB, and its old space grew longer between collections. At 4 the server's RSS after
 * api-list's load fell ~30-60 MB with no loss of its throughput (docs/testing.md).
 */
const WORKER_YOUNG_GENERATION_MB = 4

/** The worker's entry beside this file: the built .js, or the .ts source, loaded through tsx. */
function startWorker (workerData: WorkerStart): Worker {
  const entry = new URL(`./worker-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB }
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData, resourceLimits })
  const tsx = import.meta.resolve('tsx/esm/api')
  return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}) })`, { eval: true, workerData, resourceLimits })
}

/** Opens a Simulator in a worker thread; rejects with its reason when it cannot open (a bad file, a bad topology). */
export async function openWorkerSimulator (options: SimulatorOptions, { testHooks = false, readyWithinMs = READY_WITHIN_MS }: WorkerSimulatorOptions = {}): Promise<WorkerSimulator> {
  // The worker's clock reads as the info cache's: both start from one origin.
  const clockOptions = options.clock.mode === 'real' ? { ...options.clock, origin: options.clock.origin ?? clockOriginNow() } : options.clock
  const changes = new BigInt64Array(new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT))
  const worker = startWorker({ options: { ...options, clock: clockOptions }, testHooks, changes: changes.buffer as SharedArrayBuffer })
  const pending = new Map<number, { resolve: (value: unknown) => void, reject: (error: Error) => void }>()
  const viewListeners: ViewListener[] = []
  let nextId = 0
  let closing = false
  let stoppedBy: Error | undefined
  let reportStop: (reason: Error) => void = () => {}
  const stopped = new Promise<Error>((resolve) => { reportStop = resolve })
  let started: { resolve: () => void, reject: (error: Error) => void } | undefined

  const stop = (reason: Error): void => {
    if (stoppedBy !== undefined) return
    stoppedBy = reason
    started?.reject(reason)
    const refusal = new CdpError('SIMULATOR_STOPPED', reason.message)
    for (const call of pending.values()) call.reject(refusal)
    pending.clear()
    if (!closing) reportStop(reason)
  }
  worker.on('message', (message: ReplyMessage | WorkerEvent) => {
    if ('event' in message) {
      if (message.event === 'view') for (const listener of viewListeners) listener(message.volumeUuid, message.on)
      else if (message.event === 'started') started?.resolve()
      else started?.reject(fromWire(message.failed))
      return
    }
    const call = pending.get(message.id)
    pending.delete(message.id)
    if ('failed' in message) call?.reject(fromWire(message.failed))
    else call?.resolve(answerOf(message.value, message.errors))
  })
  worker.on('error', (error) => { stop(error) })
  worker.on('exit', (code) => { stop(new Error(`the simulator worker thread exited (code ${code})`)) })

  await new Promise<void>((resolve, reject) => { started = { resolve, reject } })
  started = undefined
  let dataVersion: ReturnType<typeof dataVersionOf>
  try {
    dataVersion = dataVersionOf(options.db)
  } catch (error) {
    await worker.terminate()
    throw error
  }
  const origin = clockOptions.mode === 'real' ? clockOptions.origin : undefined
  const infoCache = new InfoCache({
    changes: () => Atomics.load(changes, 0),
    dataVersion: dataVersion.read,
    now: () => origin === undefined ? undefined : realNow(origin)
  })

  const call = async (method: CallMessage['method'], args: unknown[]): Promise<unknown> => {
    if (stoppedBy !== undefined) throw new CdpError('SIMULATOR_STOPPED', stoppedBy.message)
    const id = nextId++
    return await new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject })
      worker.postMessage({ id, method, args } satisfies CallMessage)
    })
  }
  const remote = Object.fromEntries(REMOTE_METHODS.map((method) => [method, async (...args: unknown[]) => await call(method, args)])) as Remote<Pick<Simulator, RemoteMethod>>
  return {
    ...remote,
    info: async (ref) => await infoCache.info(ref, remote.infoEntry),
    ready: async () => { await withinMs(call('ready', []), readyWithinMs) },
    close: async () => {
      if (closing) return
      closing = true
      try {
        if (stoppedBy === undefined) await call('close', [])
      } finally {
        dataVersion.close()
        await worker.terminate()
      }
    },
    onViewChange: (listener) => { viewListeners.push(listener) },
    stopped,
    ...(testHooks
      ? {
          stallForTest: async (ms?: number) => { await call('stallForTest', [ms]) },
          crashForTest: async () => { await call('crashForTest', []) }
        }
      : {})
  }
}

/** An answer as the in-process Simulator gives it: CdpErrors rebuilt, bytes as a Buffer. */
function answerOf (value: unknown, errors: Parameters<typeof restoreErrors>[1]): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return errors.length === 0 ? value : restoreErrors(value, errors)
}

/** `answer`, or SIMULATOR_BUSY once `ms` pass without it. */
async function withinMs<T> (answer: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new CdpError('SIMULATOR_BUSY', `no answer from the simulator within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([answer, late])
  } finally {
    clearTimeout(timer)
  }
}
