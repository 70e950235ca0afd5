// An answer with one long array, sent without holding the event loop. A list of everything
// over 20,000 CDP volumes is 8 MB of JSON: printed in one go (then measured and encoded as
// one string) it held the loop for over 100 ms, and /healthz waited. Items a backend printed
// off this thread are spliced in as they came; items that came as objects are printed
// STEP_ITEMS at a time with the loop free in between, each step straight to bytes. Either
// way the reply is one Buffer with the bytes the route's serialiser would print: the route's
// serialiser prints the envelope with the array empty, and the items go where it was.
import type { FastifyReply } from 'fastify'

/** Items per step: about 40 KiB of list items, well under a ms of the event loop. */
export const STEP_ITEMS = 100

const JSON_MEDIA_TYPE = 'application/json; charset=utf-8'
const COMMA = Buffer.from(',')

const nextTurn = async (): Promise<void> => { await new Promise((resolve) => setImmediate(resolve)) }

export interface LongArray<T> {
  /** The key of the array, which the envelope holds empty. */
  key: string
  /** The items: printed already (comma-separated, UTF-8), or to be printed by `print`. */
  items: Uint8Array | readonly T[]
  /** Items as the answer's JSON has them, comma-separated without brackets. */
  print: (items: readonly T[]) => string
}

/** Sends `envelope`, a 200 answer of the route, with the long array's items in place. */
export async function sendWithLongArray<T> (reply: FastifyReply, envelope: object, { key, items, print }: LongArray<T>): Promise<FastifyReply> {
  const printEnvelope = reply.getSerializationFunction('200')
  if (printEnvelope === undefined) throw new Error('sendWithLongArray: the route has no 200 response schema')
  const whole = printEnvelope(envelope as Record<string, unknown>)
  // A string value cannot hold this marker (its quotes would be escaped), so the first one is the key.
  const marker = `${JSON.stringify(key)}:[`
  const at = whole.indexOf(marker) + marker.length
  if (at < marker.length || whole[at] !== ']') throw new Error(`sendWithLongArray: the envelope has no empty ${key}`)
  const parts: Uint8Array[] = [Buffer.from(whole.slice(0, at))]
  if (items instanceof Uint8Array) parts.push(items)
  else {
    for (let first = 0; first < items.length; first += STEP_ITEMS) {
      if (first > 0) {
        await nextTurn()
        parts.push(COMMA)
      }
      parts.push(Buffer.from(print(items.slice(first, first + STEP_ITEMS))))
    }
  }
  parts.push(Buffer.from(whole.slice(at)))
  return await reply.type(JSON_MEDIA_TYPE).send(Buffer.concat(parts))
}
