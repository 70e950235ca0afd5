// What crosses between the simulator's worker thread and the main thread: a failure as its
// wire form and back, and the CdpErrors inside an answer found by path, carried beside the
// structured clone (which drops their class) and put back where they were.
import { deepStrictEqual } from 'node:assert'
import fc from 'fast-check'
import t from 'tap'
import { CdpError, type ScodeName } from '../../src/errors.js'
import { errorsInside, fromWire, restoreErrors, toWire } from '../../simulator/worker-protocol.js'

t.test('a CdpError crosses as its name and desc alone, and comes back a CdpError', async (t) => {
  const wire = toWire(new CdpError('VOLUME_NOT_FOUND', 'no volume 7'))
  t.strictSame(wire, { code: 'VOLUME_NOT_FOUND', desc: 'no volume 7' })
  const back = fromWire(structuredClone(wire))
  t.ok(back instanceof CdpError)
  t.match(back, { code: 'VOLUME_NOT_FOUND', desc: 'no volume 7', message: 'volume not found: no volume 7' })
})

t.test('any other Error crosses as its message and stack, and comes back with both', async (t) => {
  const error = new TypeError('bad thing')
  const wire = toWire(error)
  t.strictSame(wire, { message: 'bad thing', stack: error.stack })
  const back = fromWire(structuredClone(wire))
  t.notOk(back instanceof CdpError)
  t.equal(back.message, 'bad thing')
  t.equal(back.stack, error.stack, "the worker's stack, not the main thread's")
})

t.test('an Error without a stack crosses as its message alone and comes back with a stack of its own', async (t) => {
  const error = new Error('stackless')
  error.stack = undefined
  const wire = toWire(error)
  t.strictSame(wire, { message: 'stackless' })
  t.notOk('stack' in wire, 'no stack key at all')
  const back = fromWire(wire)
  t.equal(back.message, 'stackless')
  t.type(back.stack, 'string')
  t.match(back.stack, /stackless/)
})

t.test('a thrown value that is not an Error crosses as its text', async (t) => {
  t.strictSame(toWire('plain words'), { message: 'plain words' })
  t.strictSame(toWire(42), { message: '42' })
  t.strictSame(toWire(undefined), { message: 'undefined' })
  t.strictSame(toWire({ toString: () => 'an object' }), { message: 'an object' })
})

t.test('the CdpErrors of an answer are found by their keys from the top, in order', async (t) => {
  const answer = {
    success: 1,
    results: [
      { scode: 0 },
      new CdpError('VOLUME_NOT_FOUND', 'first'),
      { error: new CdpError('CDP_NOT_FOUND'), nested: { deeper: [7, new CdpError('INVALID_PARAMETER', 'x')] } }
    ],
    top: new CdpError('CLUSTER_NOT_FOUND', 'at a key')
  }
  t.strictSame(errorsInside(answer), [
    { path: ['results', 1], code: 'VOLUME_NOT_FOUND', desc: 'first' },
    { path: ['results', 2, 'error'], code: 'CDP_NOT_FOUND', desc: '' },
    { path: ['results', 2, 'nested', 'deeper', 1], code: 'INVALID_PARAMETER', desc: 'x' },
    { path: ['top'], code: 'CLUSTER_NOT_FOUND', desc: 'at a key' }
  ])
  t.strictSame(errorsInside(new CdpError('VOLUME_IN_USE', 'whole')), [{ path: [], code: 'VOLUME_IN_USE', desc: 'whole' }], 'an answer that is one')
})

t.test('nothing is found in an answer without CdpErrors, however plain', async (t) => {
  for (const value of [undefined, null, 0, 5n, 'text', true, [], {}, [null, undefined, 1], { a: null, b: undefined, c: 'x', d: 3n }]) {
    t.strictSame(errorsInside(value), [], String(value))
  }
})

t.test('only arrays and plain objects are walked: bytes, maps and class instances are not looked into', async (t) => {
  class Holder { inside = new CdpError('VOLUME_NOT_FOUND') }
  const bare = Object.create(null) as Record<string, unknown>
  bare.inside = new CdpError('VOLUME_NOT_FOUND')
  const map = new Map([['inside', new CdpError('VOLUME_NOT_FOUND')]])
  const value = { bytes: new Uint8Array(4), buffer: Buffer.from('ab'), holder: new Holder(), bare, map, list: [new Holder()] }
  t.strictSame(errorsInside(value), [])
})

t.test('errors found are put back where they were, as CdpErrors, in a structured clone of the answer', async (t) => {
  const answer = { results: [{ scode: 0 }, new CdpError('VOLUME_NOT_FOUND', 'a')], more: { x: [new CdpError('CDP_NOT_FOUND', 'b')] } }
  const found = errorsInside(answer)
  const clone = structuredClone(answer) as typeof answer
  t.notOk(clone.results[1] instanceof CdpError, 'the clone lost the class')
  const back = restoreErrors(clone, structuredClone(found)) as typeof answer
  t.equal(back, clone, 'put back in place')
  const first = back.results[1] as CdpError
  const second = back.more.x[0] as CdpError
  t.ok(first instanceof CdpError)
  t.ok(second instanceof CdpError)
  t.match(first, { code: 'VOLUME_NOT_FOUND', desc: 'a' })
  t.match(second, { code: 'CDP_NOT_FOUND', desc: 'b' })
  t.strictSame(back.results[0], { scode: 0 })
  t.strictSame(Object.keys(back), ['results', 'more'], 'nothing else written')
  t.strictSame(Object.keys(back.more), ['x'])
  t.equal(back.more.x.length, 1)
})

const codes: ScodeName[] = ['VOLUME_NOT_FOUND', 'CDP_NOT_FOUND', 'INVALID_PARAMETER', 'VOLUME_IN_USE']
const errorArb = fc.record({ code: fc.constantFrom(...codes), desc: fc.string({ maxLength: 6 }) }).map(({ code, desc }) => new CdpError(code, desc))
const { tree: answerArb } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.constant(null), fc.boolean(), fc.bigInt()),
    errorArb,
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(fc.string({ minLength: 1, maxLength: 3 }).filter((k) => k !== '__proto__'), tie('tree'), { maxKeys: 4, noNullPrototype: true })
  )
}))

/** The answer's shape with each CdpError written as its code and desc, compared after the crossing. */
function described (value: unknown): unknown {
  if (value instanceof CdpError) return { cdpError: value.code, desc: value.desc }
  if (Array.isArray(value)) return value.map(described)
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, described(v)]))
  return value
}

function countErrors (value: unknown): number {
  if (value instanceof CdpError) return 1
  if (typeof value !== 'object' || value === null) return 0
  return Object.values(value).reduce<number>((n, v) => n + countErrors(v), 0)
}

const seed = Number(process.env.WORKER_PROTOCOL_SEED ?? Math.floor(Math.random() * 2 ** 31))

t.test(`any answer crosses with each CdpError found once and put back in place (seed ${seed}, WORKER_PROTOCOL_SEED=${seed} replays)`, async (t) => {
  fc.assert(fc.property(answerArb.filter((v) => !(v instanceof CdpError)), (answer) => {
    const found = errorsInside(answer)
    if (found.length !== countErrors(answer)) throw new Error(`found ${found.length}, the answer holds ${countErrors(answer)}`)
    const back = restoreErrors(structuredClone(answer), structuredClone(found))
    deepStrictEqual(described(back), described(answer))
  }), { seed, numRuns: 200 })
  t.pass('every answer crossed whole')
})
