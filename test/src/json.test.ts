// Lossless request JSON and the one uint64 conversion.
import fc from 'fast-check'
import t from 'tap'
import { CdpError } from '../../src/errors.js'
import { duplicateKey, parseJson, parseJsonAsDoubles, stringifyUint64Strings, toUint64 } from '../../src/json.js'

t.test('integers above 2^53 keep every digit', async (t) => {
  const parsed = parseJson('{"time": 1630057893506590075, "small": 86400, "f": 0.5}') as Record<string, unknown>
  t.equal(parsed.time, '1630057893506590075', 'kept as its decimal text')
  t.equal(toUint64(parsed.time as string, 'time'), 1630057893506590075n)
  t.equal(parsed.small, 86400, 'a safe integer stays a number')
  t.equal(parsed.f, '0.5', 'a fraction stays its text: no field of the API takes it')
})

t.test('forbidden and malformed input is INVALID_JSON', async (t) => {
  for (const text of ['{"__proto__": {}}', '{"a": {"constructor": {"prototype": {}}}}', '{"a": 1,}', '', '{"a": 1, "a": 2}']) {
    t.throws(() => parseJson(text), { code: 'INVALID_JSON' }, JSON.stringify(text))
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype touched')
})

t.test('a forbidden key is INVALID_JSON naming that key', async (t) => {
  for (const key of ['__proto__', 'constructor']) {
    const err = t.throws(() => parseJson(`{"a": {"${key}": 1}}`)) as CdpError
    t.equal(err.code, 'INVALID_JSON')
    t.equal(err.desc, `forbidden key "${key}"`)
  }
})

t.test('toUint64 takes JSON integers and decimal strings in range', async (t) => {
  t.equal(toUint64(0, 'x'), 0n)
  t.equal(toUint64('0', 'x'), 0n)
  t.equal(toUint64('18446744073709551615', 'x'), 2n ** 64n - 1n)
  t.equal(toUint64(9007199254740991, 'x'), 9007199254740991n)
})

t.test('toUint64 refuses negatives, fractions, text and values above 2^64-1', async (t) => {
  // 2 ** 60 is an integer, but a JS number that large may already be a rounded one.
  for (const bad of [-1, 1.5, '-1', '1.5', 'abc', '', ' 1', '18446744073709551616', Number.NaN, 2 ** 60]) {
    const err = t.throws(() => toUint64(bad, 'timestamp')) as CdpError
    t.equal(err.code, 'INVALID_UINT64', String(bad))
    t.match(err.desc, 'timestamp', 'names the field')
  }
})

t.test('duplicateKey finds none in any JSON that a serialiser writes, and finds an added one', async () => {
  fc.assert(fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue(), { minKeys: 1 }), fc.nat(), (object, pick) => {
    const text = JSON.stringify(object)
    if (duplicateKey(text) !== undefined) return false
    const keys = Object.keys(object)
    const key = keys[pick % keys.length] as string
    return duplicateKey(`${text.slice(0, -1)},${JSON.stringify(key)}:null}`) === key
  }), { numRuns: 500 })
})

t.test('parseJsonAsDoubles reads what a serialiser writes as JSON.parse does, and refuses an added duplicate key', async () => {
  // Keys and strings full of quotes, colons and backslashes: the key count must not be fooled.
  const text = fc.string({ unit: fc.constantFrom('"', ':', '\\', ' ', 'a', '{', '}', ',') })
  const value = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.integer(), text, fc.boolean(), fc.constant(null), fc.array(tie('value')), tie('object')),
    object: fc.dictionary(text.filter((key) => key !== '__proto__' && key !== 'constructor'), tie('value'))
  }))
  fc.assert(fc.property(value.object.filter((object) => Object.keys(object).length > 0), fc.nat(), (object, pick) => {
    const written = JSON.stringify(object, null, pick % 2 === 0 ? undefined : 1)
    t.strictSame(parseJsonAsDoubles(written), JSON.parse(written))
    const keys = Object.keys(object)
    const key = keys[pick % keys.length] as string
    const err = t.throws(() => parseJsonAsDoubles(`${written.trimEnd().slice(0, -1)},${JSON.stringify(key)}:null}`)) as CdpError
    return err.code === 'INVALID_JSON' && err.desc === `duplicate key ${JSON.stringify(key)}`
  }), { numRuns: 300 })
})

t.test('parseJsonAsDoubles refuses a forbidden key however it is written, and malformed text, as INVALID_JSON', async (t) => {
  for (const text of ['{"__proto__": {}}', '{"a": [{"constructor": 1}]}', '{"\\u005f_proto__": 1}', '{"a": 1,}', '', '[1']) {
    t.throws(() => parseJsonAsDoubles(text), { code: 'INVALID_JSON' }, JSON.stringify(text))
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype touched')
})

t.test('a key named twice is INVALID_JSON naming it, even when both values are equal', async (t) => {
  // lossless-json refuses a duplicate only when the values differ; equal ones are ours to refuse.
  const err = t.throws(() => parseJson('{"volume_uuid": "x", "volume_uuid": "x"}')) as CdpError
  t.equal(err.code, 'INVALID_JSON')
  t.equal(err.desc, 'duplicate key "volume_uuid"')
})

t.test('a key is a key whatever JSON whitespace stands before its colon', async (t) => {
  for (const space of [' ', '\t', '\n', '\r', ' \t\n\r']) {
    t.equal(duplicateKey(`{"a"${space}: 1, "a"${space}: 1}`), 'a', JSON.stringify(space))
    t.throws(() => parseJson(`{"a"${space}: 1, "a"${space}: 1}`), { code: 'INVALID_JSON' }, JSON.stringify(space))
  }
  t.equal(duplicateKey('{"a": ["a" , "a"]}'), undefined, 'strings in an array are not keys')
})

t.test('stringifyUint64Strings prints what JSON.stringify prints with each bigint as its decimal string', async (t) => {
  // Any JSON value, with bigints among its values, a Date, and an own __proto__ key.
  const { tree } = fc.letrec((tie) => ({
    tree: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 0 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.date({ noInvalidDate: true }), tie('array'), tie('object')),
    array: fc.array(tie('tree'), { maxLength: 4 }),
    object: fc.dictionary(fc.oneof(fc.string(), fc.constant('__proto__')), tie('tree'), { maxKeys: 4 })
  }))
  fc.assert(fc.property(tree, (value) => {
    const expected = JSON.stringify(value, (_key, item: unknown) => typeof item === 'bigint' ? item.toString() : item)
    t.equal(stringifyUint64Strings(value), expected)
  }), { numRuns: 300 })
})
