// Property-based request fuzzing, part 3 of 3: every answer must be a 2xx/4xx envelope that
// agrees with the catalogue, and a refused request must leave the simulator as it was.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { Scode, scodeName } from '../../../src/errors.js'
import { parseExact } from '../../../src/json.js'
import { type Endpoint, requestArbitrary } from './requests.js'
import type { Pools } from './values.js'

// ---------------------------------------------------------------- the answer

const ENVELOPE_KEYS = ['data', 'desc', 'message', 'message_cn', 'scode', 'stack']

interface EnvelopeLike { scode: unknown, desc: unknown, message: unknown, message_cn: unknown, stack: unknown, data: unknown }

/**
 * The HTTP status each scode must travel as, written here rather than read from src/errors.ts
 * (whose statuses are what this checks): the class of an scode is its thousand (docs/scodes.md:
 * 400 bad input, 401/403 auth, 404 missing, 409 state conflict, 5xx the backend), with the
 * codes whose status says more listed one by one.
 */
const STATUS_OF_SCODE: Readonly<Record<number, number>> = {
  1007: 415, // content type
  1008: 413, // body too large
  1040: 416, // Range not satisfiable
  1050: 404, // no such fault rule
  1010: 404, // no such route
  1011: 405, // method not allowed
  1013: 408, // request timeout
  1014: 431, // headers too large
  2001: 401,
  2002: 403,
  2003: 403, // endpoint forbidden to the token
  4041: 404 // no such CDP disk (numbered with the disk faults)
}
const STATUS_OF_CLASS: Readonly<Record<number, number>> = { 1: 400, 3: 404, 4: 409 }

function expectedStatus (scode: number): number | undefined {
  return STATUS_OF_SCODE[scode] ?? STATUS_OF_CLASS[Math.floor(scode / 1000)]
}

/** An envelope whose messages agree with the catalogue and whose HTTP status (when given) with the table above. */
function checkEnvelope (body: unknown, status: number | undefined, where: string): EnvelopeLike {
  assert.ok(typeof body === 'object' && body !== null && !Array.isArray(body), `${where}: an object`)
  assert.deepEqual(Object.keys(body).sort(), ENVELOPE_KEYS, `${where}: exactly the envelope's keys`)
  const envelope = body as EnvelopeLike
  assert.equal(envelope.stack, null, `${where}: stack is null`)
  assert.equal(typeof envelope.desc, 'string', `${where}: desc is a string`)
  if (envelope.scode === 0) {
    assert.ok(status === undefined || (status >= 200 && status < 300), `${where}: scode 0 with HTTP ${String(status)}`)
    assert.equal(envelope.message, 'success')
    assert.equal(envelope.message_cn, '成功')
    return envelope
  }
  const name = typeof envelope.scode === 'number' ? scodeName(envelope.scode) : undefined
  assert.ok(name !== undefined, `${where}: scode ${String(envelope.scode)} is in the catalogue`)
  const entry = Scode[name]
  const expected = expectedStatus(entry.scode)
  assert.ok(expected !== undefined, `${where}: ${name} (${entry.scode}) is never an answer to a fuzzed request`)
  if (status !== undefined) assert.equal(status, expected, `${where}: ${name} travels as HTTP ${expected}`)
  assert.equal(envelope.message, entry.message, `${where}: ${name}'s message`)
  assert.equal(envelope.message_cn, entry.message_cn, `${where}: ${name}'s Chinese message`)
  return envelope
}

interface BatchData { success: number, fail: number, results: unknown[] }

function isBatchData (data: unknown): data is BatchData {
  return typeof data === 'object' && data !== null && 'results' in data && Array.isArray((data as BatchData).results)
}

/**
 * Checks an answer: 2xx or 4xx, a well-formed envelope consistent with the catalogue (each
 * batch result too), or for an endpoint that answers bytes (`binary`: their media type) a 2xx
 * of that type. Returns whether the request was refused: a 4xx, or a batch whose every item
 * failed.
 */
export function checkAnswer (status: number, text: string, contentTypeHeader: unknown, binary?: string): boolean {
  assert.ok((status >= 200 && status < 300) || (status >= 400 && status < 500), `HTTP ${status}, never 5xx: ${text.slice(0, 300)}`)
  if (binary !== undefined && status < 300 && String(contentTypeHeader).startsWith(binary)) return false
  assert.match(String(contentTypeHeader), /^application\/json/, 'a JSON answer')
  const envelope = checkEnvelope(parseExact(text), status, 'answer')
  if (status >= 400) {
    assert.equal(envelope.data, null, 'a failure carries no data')
    return true
  }
  if (!isBatchData(envelope.data)) return false
  const { success, fail, results } = envelope.data
  results.forEach((result, i) => checkEnvelope(result, undefined, `results[${i}]`))
  assert.equal(success + fail, results.length, 'success + fail = results')
  return success === 0
}

// ---------------------------------------------------------------- the property

export interface FuzzTally { cases: number, refused: number, accepted: number }

export interface FuzzTarget {
  app: FastifyInstance
  /** A summary of the backend's state (see stateFingerprint). */
  fingerprint: () => Promise<string>
  /** Runs before each case's fingerprint (re-seeding spent state); says whether it changed anything. */
  prepare?: () => Promise<boolean>
}

/** The fast-check seed of this process's fuzz runs: printed in each fuzz test's name, `FUZZ_SEED=N` replays it. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31))

/**
 * Sends `numRuns` fuzzed requests for `endpoint` and checks each; a refused one must leave
 * the fingerprint as it was. The fingerprint after a refused case is the next case's
 * before, so a refused case costs one fingerprint.
 */
export interface FuzzOptions {
  /** Headers every request carries (see requestArbitrary). */
  headers?: fc.Arbitrary<Record<string, string>>
  /** The media type of an endpoint that answers bytes (see checkAnswer). */
  binary?: string
}

export async function fuzzEndpoint (target: FuzzTarget, endpoint: Endpoint, pools: Pools, numRuns: number, settings: FuzzOptions = {}): Promise<FuzzTally> {
  const tally: FuzzTally = { cases: 0, refused: 0, accepted: 0 }
  let known: string | undefined
  await fc.assert(fc.asyncProperty(requestArbitrary(endpoint, pools, settings.headers), async (request) => {
    if (await target.prepare?.() === true) known = undefined
    const before = known ?? await target.fingerprint()
    known = undefined
    const options: InjectOptions = { method: request.method, url: request.url, headers: request.headers }
    if (request.payload !== undefined) options.payload = request.payload
    const res = await target.app.inject(options)
    tally.cases++
    const refused = checkAnswer(res.statusCode, res.body, res.headers['content-type'], settings.binary)
    if (!refused) {
      tally.accepted++
      return
    }
    tally.refused++
    const after = await target.fingerprint()
    assert.equal(after, before, `refused (HTTP ${res.statusCode}: ${res.body.slice(0, 200)}) yet the state changed`)
    known = after
  }), { numRuns, seed: FUZZ_SEED })
  return tally
}
