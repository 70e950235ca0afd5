// The messages between the simulator's worker thread (worker-thread.ts) and the main thread
// (worker-client.ts): one call message per Simulator call, one reply per call, in order.
// Structured clone carries bigint and typed arrays; it drops a CdpError's class, so a
// CdpError crosses as its catalogue name and desc and is rebuilt on the other side.
import { CDP_OPERATIONS } from '../src/backend/port.js'
import { CdpError, isCdpError, type ScodeName } from '../src/errors.js'
import type { SimulatorOptions } from './options.js'
import type { Simulator } from './simulator.js'

/** The Simulator's calls the worker answers (CdpBackend, SimulatorControl, HarnessControl, the exports'). */
export const REMOTE_METHODS = [
  ...CDP_OPERATIONS, 'ready', 'close', 'infoEntry', 'changeCount',
  'clock', 'advance', 'write', 'image', 'viewImage', 'recoverable', 'journalStats', 'readImage', 'readView',
  'volumes', 'viewFacts', 'allocated', 'setHostOnline', 'setDiskState', 'setVmRunning',
  'reset', 'saveState', 'loadState', 'takeSnapshots'
] as const satisfies ReadonlyArray<keyof Simulator>
export type RemoteMethod = typeof REMOTE_METHODS[number]

/** Calls that exist only when the worker was started for a test: they stall or crash the thread. */
export const TEST_HOOKS = ['stallForTest', 'crashForTest'] as const
export type TestHook = typeof TEST_HOOKS[number]

export interface WorkerStart {
  options: SimulatorOptions
  testHooks: boolean
  /** One BigInt64 the worker sets to the simulator's change count after every call, before its reply. */
  changes: SharedArrayBuffer
}

export interface CallMessage {
  id: number
  method: RemoteMethod | TestHook
  args: unknown[]
}

/** A failure as it crosses: a CdpError by name and desc; anything else by message and stack. */
export type WireError = { code: ScodeName, desc: string } | { message: string, stack?: string }

/** Where a CdpError sat inside an answer (a batch outcome, a list range), by keys from the top. */
export interface ErrorAt {
  path: Array<string | number>
  code: ScodeName
  desc: string
}

export type ReplyMessage =
  | { id: number, value: unknown, errors: ErrorAt[] }
  | { id: number, failed: WireError }

/** What the worker says unasked: it has opened the simulator (or could not), a view went on or off. */
export type WorkerEvent =
  | { event: 'started' }
  | { event: 'startFailed', failed: WireError }
  | { event: 'view', volumeUuid: string, on: boolean }

export function toWire (error: unknown): WireError {
  if (isCdpError(error)) return { code: error.code, desc: error.desc }
  const { message, stack } = error instanceof Error ? error : { message: String(error), stack: undefined }
  return stack === undefined ? { message } : { message, stack }
}

export function fromWire (wire: WireError): Error {
  if ('code' in wire) return new CdpError(wire.code, wire.desc)
  const error = new Error(wire.message)
  if (wire.stack !== undefined) error.stack = wire.stack
  return error
}

/** The CdpErrors inside an answer, found by walking its arrays and plain objects (bytes are skipped). */
export function errorsInside (value: unknown, path: Array<string | number> = [], found: ErrorAt[] = []): ErrorAt[] {
  if (isCdpError(value)) found.push({ path: [...path], code: value.code, desc: value.desc })
  else if (Array.isArray(value)) value.forEach((item, i) => errorsInside(item, [...path, i], found))
  else if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'object' && item !== null) errorsInside(item, [...path, key], found)
    }
  }
  return found
}

/** Puts each CdpError back where the worker found it. */
export function restoreErrors (value: unknown, errors: ErrorAt[]): unknown {
  for (const { path, code, desc } of errors) {
    const parent = path.slice(0, -1).reduce<Record<string | number, unknown>>((at, key) => at[key] as Record<string | number, unknown>, value as Record<string | number, unknown>)
    parent[path.at(-1) as string | number] = new CdpError(code, desc)
  }
  return value
}
