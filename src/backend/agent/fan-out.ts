// Fan-out to several agents: bounded concurrency, and each agent's outcome kept as a value
// so that one agent's failure never hides the others' answers.
import { isCdpError, type CdpError } from '../../errors.js'

export type Settled<T> = { ok: true, value: T } | { ok: false, error: CdpError }

/** A call's outcome as a value; only CdpErrors are outcomes, anything else is a bug and throws. */
export async function settle<T> (call: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await call }
  } catch (err) {
    if (!isCdpError(err)) throw err
    return { ok: false, error: err }
  }
}

/** Maps every item through `fn`, at most `limit` at a time; results keep the items' order. */
export async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker))
  return results
}
