// A CdpBackend that times every call of another and reports it with the scode it ended
// in: one wrapper, whichever backend the API runs on.
import { Scode, isCdpError } from '../errors.js'
import { CDP_OPERATIONS, type CdpBackend, type CdpOperation } from './port.js'

type Observe = (operation: string, seconds: number, scode: number) => void
type Call = (...args: unknown[]) => Promise<unknown>

export function instrument (backend: CdpBackend, observe: Observe): CdpBackend {
  const timed = (operation: CdpOperation): Call => {
    const call = backend[operation].bind(backend) as Call
    return async (...args) => {
      const start = performance.now()
      const seconds = (): number => (performance.now() - start) / 1000
      try {
        const result = await call(...args)
        observe(operation, seconds(), 0)
        return result
      } catch (err) {
        observe(operation, seconds(), isCdpError(err) ? err.entry.scode : Scode.INTERNAL.scode)
        throw err
      }
    }
  }
  return {
    ...Object.fromEntries(CDP_OPERATIONS.map((operation) => [operation, timed(operation)])),
    ready: backend.ready.bind(backend),
    close: backend.close.bind(backend)
  } as CdpBackend
}
