// The simulator's worker thread: one Simulator over one SQLite connection, answering the
// main thread's calls (worker-protocol.ts) in the order they arrive, so a long SQL call or a
// stalled disk holds up only the simulator, never the HTTP layer on the main thread.
import { parentPort, workerData } from 'node:worker_threads'
import type { ListQuery, ListResult } from '../src/backend/port.js'
import { printListItems } from '../src/schemas/list.js'
import { Simulator } from './simulator.js'
import { type CallMessage, errorsInside, REMOTE_METHODS, TEST_HOOKS, toWire, type WorkerEvent, type WorkerStart } from './worker-protocol.js'

if (parentPort === null) throw new Error('worker-thread.ts runs only as a worker thread (worker-client.ts starts it)')
const port = parentPort
const { options, testHooks, changes: changesBuffer } = workerData as WorkerStart
const changes = new BigInt64Array(changesBuffer)

const methods = new Set<string>(REMOTE_METHODS)
const hooks = new Set<string>(testHooks ? TEST_HOOKS : [])

const tell = (event: WorkerEvent): void => { port.postMessage(event) }

/** A test's stand-in for a long call or a frozen disk: the thread does nothing for `ms`. */
function stallForTest (ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * A test's stand-in for a bug that kills the thread: an exception nothing catches, thrown as
 * the message is taken, so no call behind it is answered (thrown a turn later, a call that
 * arrived meanwhile could still be answered, and a test of calls in flight raced it).
 */
function crashForTest (): never {
  throw new Error('crashForTest: the simulator worker thread was told to crash')
}

/**
 * A list whose caller asked for it printed: the items become bytes here, so the main thread
 * receives one buffer (handed over, not copied) instead of building thousands of objects.
 */
function printedIfAsked (query: ListQuery, result: ListResult): ListResult {
  if (query.print_list !== true) return result
  return { ...result, List: [], printed_list: new TextEncoder().encode(printListItems(result.List)) }
}

/**
 * The bytes an answer hands over rather than copies: a read's range or a printed list. Cloned,
 * a 256 KiB read cost the main thread a copy and the collector its work, more than the read
 * itself; handed over, the main thread gets the worker's memory. Only bytes that fill their
 * whole ArrayBuffer (nothing else of the worker's shares it) are handed over.
 */
function handedOver (value: unknown): ArrayBuffer[] {
  const bytes = value instanceof Uint8Array ? value : (value as Partial<ListResult> | undefined)?.printed_list
  if (bytes === undefined || !(bytes.buffer instanceof ArrayBuffer)) return []
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer] : []
}

let simulator: Simulator
try {
  simulator = new Simulator(options)
} catch (error) {
  tell({ event: 'startFailed', failed: toWire(error) })
  throw error
}
// Sent with the call's reply queue, so the exports hear of a view before its call answers.
simulator.onViewChange((volumeUuid, on) => { tell({ event: 'view', volumeUuid, on }) })

async function answer ({ id, method, args }: CallMessage): Promise<void> {
  try {
    let value: unknown
    if (method === 'list') value = printedIfAsked(args[0] as ListQuery, await simulator.list(args[0] as ListQuery))
    else if (methods.has(method)) value = await (simulator[method as keyof Simulator] as (...a: unknown[]) => unknown).apply(simulator, args)
    else if (hooks.has(method)) value = stallForTest(args[0] as number)
    else throw new Error(`the simulator worker has no call ${method}`)
    publishChanges()
    port.postMessage({ id, value, errors: errorsInside(value) }, handedOver(value))
  } catch (error) {
    publishChanges()
    port.postMessage({ id, failed: toWire(error) })
  }
}

/** Before a reply: the main thread's info cache then drops what this call changed before the caller hears of it. */
function publishChanges (): void {
  Atomics.store(changes, 0, simulator.changeCount())
}

port.on('message', (message: CallMessage) => {
  if (message.method === 'crashForTest' && hooks.has(message.method)) crashForTest()
  void answer(message)
})
tell({ event: 'started' })
