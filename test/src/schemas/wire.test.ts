// The two wire forms of a record decode to the same value: uint64s as exact JSON integers
// (lossless parse, `decode`) or as decimal strings (JSON.parse, `decodeStrings`); the
// strings form refuses any uint64 written as a number.
import fc from 'fast-check'
import t from 'tap'
import { stringify } from 'lossless-json'
import { operations } from '../../../src/backend/agent/protocol.js'
import { parseJson, parseJsonAsDoubles, stringifyUint64Strings, UINT64_MAX } from '../../../src/json.js'
import { decode, decodeStrings } from '../../../src/schemas/wire.js'

const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: UINT64_MAX }), fc.constantFrom(0n, 2n ** 53n + 1n, UINT64_MAX))
const segment = fc.record({
  snaps: fc.array(fc.record({ name: fc.string(), time: uint64 }), { maxLength: 4 }),
  seq: uint64,
  startTime: uint64,
  use: uint64,
  capacity: uint64,
  ioStartTime: uint64,
  ioLastTime: uint64,
  online: fc.boolean(),
  usd_maddr: fc.string(),
  usd_path: fc.string()
})
const info = fc.record({ cdp_info: fc.array(segment, { maxLength: 4 }), host_uuid: fc.string() })
const changes = fc.record({
  extents: fc.array(fc.record({ offset: uint64, length: uint64 }), { maxLength: 4 }),
  next: fc.option(uint64, { nil: null })
})

/** Both forms of `value` decoded against `schema` (compared with a plain copy: fast-check may give objects no prototype). */
function bothForms (schema: Parameters<typeof decode>[0], value: unknown): [unknown, unknown] {
  return [
    decode(schema, parseJson(stringify(value) ?? ''), 'AGENT_BAD_RESPONSE'),
    decodeStrings(schema, parseJsonAsDoubles(stringifyUint64Strings(value)), 'AGENT_BAD_RESPONSE')
  ]
}

t.test('an info answer decodes to itself from either form', async (t) => {
  fc.assert(fc.property(info, (value) => {
    const [plain, strings] = bothForms(operations.info.answer, value)
    t.strictSame(plain, structuredClone(value))
    t.strictSame(strings, structuredClone(value))
  }), { numRuns: 200 })
})

t.test('a nullable uint64 (changes\' next) decodes from either form, null included', async (t) => {
  fc.assert(fc.property(changes, (value) => {
    const [plain, strings] = bothForms(operations.changes.answer, value)
    t.strictSame(plain, structuredClone(value))
    t.strictSame(strings, structuredClone(value))
  }), { numRuns: 200 })
})

t.test('in the strings form, any one uint64 written as a JSON number is refused', async (t) => {
  fc.assert(fc.property(info.filter((value) => value.cdp_info.length > 0), fc.nat(), fc.constantFrom('seq', 'use', 'ioLastTime'), (value, pick, field) => {
    const text = stringifyUint64Strings(value)
    const parsed = parseJsonAsDoubles(text) as { cdp_info: Array<Record<string, unknown>> }
    const segment = parsed.cdp_info[pick % parsed.cdp_info.length] as Record<string, unknown>
    segment[field] = Number(segment[field])
    t.throws(() => decodeStrings(operations.info.answer, parsed, 'AGENT_BAD_RESPONSE'), { code: 'AGENT_BAD_RESPONSE' })
  }), { numRuns: 100 })
})
