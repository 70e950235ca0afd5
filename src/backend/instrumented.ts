// A CdpBackend that times every call of another and reports it with the scode it ended
// in: one wrapper, whichever backend the API runs on.
import { isCdpError } from '../errors.js'
import type { CdpBackend } from './port.js'

type Observe = (operation: string, seconds: number, scode: number) => void
const OPERATIONS = ['edit', 'enable', 'disable', 'list', 'info', 'clean', 'viewOn', 'viewOff', 'revert'] as const

export function instrument (backend: CdpBackend, observe: Observe): CdpBackend {
  const timed = { ...backend } as CdpBackend
  for (const operation of OPERATIONS) {
    const call = backend[operation].bind(backend) as (...args: unknown[]) => Promise<unknown>
    ;(timed as unknown as Record<string, unknown>)[operation] = async (...args: unknown[]) => {
      const start = performance.now()
      const seconds = (): number => (performance.now() - start) / 1000
      try {
        const result = await call(...args)
        observe(operation, seconds(), 0)
        return result
      } catch (err) {
        observe(operation, seconds(), isCdpError(err) ? err.entry.scode : 5001)
        throw err
      }
    }
  }
  timed.ready = backend.ready.bind(backend)
  timed.close = backend.close.bind(backend)
  return timed
}
