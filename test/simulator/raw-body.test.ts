// The octet-stream parser by itself, driven with a payload stream the test holds: the body
// comes back whole, a body past the limit is refused once and the rest is not listened to,
// a stream error is answered with that error, and whichever way the body ends the parser
// leaves no listener of its own on the stream.
import { EventEmitter } from 'node:events'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { CdpError } from '../../src/errors.js'
import { acceptRawBodies, OCTET_STREAM } from '../../simulator/raw-body.js'

type Done = (err: Error | null, body?: unknown) => void
type Parser = (request: { headers: Record<string, string | undefined> }, payload: EventEmitter, done: Done) => void

/** The parser `acceptRawBodies` adds for octet-stream, taken from a stand-in for the app. */
function parserFor (limit: number): Parser {
  let found: Parser | undefined
  const app = {
    addContentTypeParser: (type: string, parser: Parser) => {
      if (type === OCTET_STREAM) found = parser
    }
  }
  acceptRawBodies(app as unknown as FastifyInstance, limit)
  if (found === undefined) throw new Error('no octet-stream parser was added')
  return found
}

/** Starts the parser on a fresh payload; `answers` collects each call of `done`. */
function start (limit: number, headers: Record<string, string | undefined> = {}) {
  const payload = new EventEmitter()
  const answers: Array<{ err: Error | null, body: unknown }> = []
  parserFor(limit)({ headers }, payload, (err, body) => { answers.push({ err, body }) })
  const listening = () => ['data', 'end', 'error'].map((event) => payload.listenerCount(event))
  return { payload, answers, listening }
}

const bytes = (n: number, fill: number): Buffer => Buffer.alloc(n, fill)

t.test('a body of exactly the limit, so declared, comes back whole; after its end the parser listens no more', async (t) => {
  const { payload, answers, listening } = start(10, { 'content-length': '10' })
  t.strictSame(listening(), [1, 1, 1], 'listening while the body streams in')
  payload.emit('data', bytes(4, 1))
  payload.emit('data', bytes(6, 2))
  t.equal(answers.length, 0, 'no answer before the end')
  payload.emit('end')
  t.equal(answers.length, 1)
  t.equal(answers[0]?.err, null)
  t.strictSame(answers[0]?.body, Buffer.concat([bytes(4, 1), bytes(6, 2)]))
  t.strictSame(listening(), [0, 0, 0], 'no listener left on data, end or error')
})

t.test('a body past the limit is refused once, at the chunk that passes it; nothing after is heard', async (t) => {
  const { payload, answers, listening } = start(10)
  payload.emit('data', bytes(8, 1))
  payload.emit('data', bytes(3, 2))
  t.equal(answers.length, 1)
  const err = answers[0]?.err
  t.ok(err instanceof CdpError && err.code === 'BODY_TOO_LARGE', String(err))
  t.equal(answers[0]?.body, undefined)
  t.strictSame(listening(), [0, 0, 0], 'no listener left on data, end or error')
  payload.emit('data', bytes(5, 3))
  payload.emit('end')
  t.equal(answers.length, 1, 'later chunks and the end are not answered again')
})

t.test('a declared length past the limit is refused before any listener is added', async (t) => {
  const { answers, listening } = start(10, { 'content-length': '11' })
  t.equal(answers.length, 1)
  const err = answers[0]?.err
  t.ok(err instanceof CdpError && err.code === 'BODY_TOO_LARGE', String(err))
  t.strictSame(listening(), [0, 0, 0])
})

t.test('a stream error is answered with that error; the parser then listens no more', async (t) => {
  const { payload, answers, listening } = start(10)
  payload.emit('data', bytes(3, 1))
  const failure = new Error('the connection went away')
  payload.emit('error', failure)
  t.equal(answers.length, 1)
  t.equal(answers[0]?.err, failure)
  t.equal(answers[0]?.body, undefined)
  t.strictSame(listening(), [0, 0, 0], 'no listener left on data, end or error')
})
