// Property-based request fuzzing, shared by test/system/fuzz/: requests built from the app's own
// OpenAPI document (so every route and field is covered as the schemas declare it), then
// mutated at the value level (wrong types, missing and extra fields, uint64 edges, unicode,
// duplicate and prototype keys, deep nesting), at the text level (malformed JSON, bad UTF-8)
// and at the transport level (content types, querystrings, paths, methods). Every answer
// must be a 2xx/4xx envelope, and a refused request must leave the simulator as it was.
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { Scode, scodeName } from '../../src/errors.js'
import { parseLossless } from './app.js'
import { DEMO } from './demo.js'

// ---------------------------------------------------------------- JSON text with anything in it

/** A token printed verbatim: numbers JSON.stringify cannot write (1e400, -0, 2^64) and non-JSON. */
export class Raw {
  constructor (readonly text: string) {}
}

/** An object as its entries, so keys may repeat and `__proto__` is just a key. */
export class Obj {
  constructor (readonly entries: ReadonlyArray<readonly [string, Json]>) {}
}

export type Json = null | boolean | number | string | Raw | Obj | Json[]

export function fromPlain (value: unknown): Json {
  if (Array.isArray(value)) return value.map(fromPlain)
  if (value instanceof Raw || value instanceof Obj) return value
  if (typeof value === 'bigint') return new Raw(value.toString())
  if (typeof value === 'object' && value !== null) return new Obj(Object.entries(value).map(([k, v]) => [k, fromPlain(v)]))
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'string' || value === null) return value
  throw new Error(`no JSON for ${typeof value}`)
}

export function toJsonText (value: Json): string {
  if (value instanceof Raw) return value.text
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`
  return JSON.stringify(value)
}

/** The text a querystring or path carries for a value: arrays are handled by the caller. */
function toText (value: Json): string {
  return typeof value === 'string' ? value : toJsonText(value)
}

// ---------------------------------------------------------------- nasty values

const UINT64_EDGES = ['18446744073709551615', '18446744073709551616', '9223372036854775807', '9223372036854775808', '9007199254740993', '340282366920938463463374607431768211456']

const nastyNumber: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...UINT64_EDGES, '-1', '1e400', '-1e400', '1e-400', '0.5', '-0', '-0.0', '1E2', '1.0', '0e0').map((text) => new Raw(text)),
  fc.constantFrom(-1, 0.5, 2 ** 53, 2 ** 63, Number.MAX_VALUE, Number.MIN_VALUE, -(2 ** 31)),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map((n) => new Raw(n.toString()))
)

/** Tokens a JSON parser must refuse. */
const notJson: fc.Arbitrary<Json> = fc.constantFrom('NaN', 'Infinity', '01', '+1', '.5', '0x10', 'undefined', 'True', "'x'", '"\\x"', '"\u0001"').map((text) => new Raw(text))

const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'a\ud800b', '\u202eexe.txt', '\u200f\u05e9\u05dc\u05d5\u05dd', '😀', 'ÅÄÖ', '中文卷',
  ...UINT64_EDGES, '-1', '1e3', ' 1', '1 ', '0x10', '1.5', "' OR 1=1 --", '%', '_', '%_%', '../../etc/passwd', '__proto__', 'constructor',
  DEMO.cluster.toUpperCase(), `{${DEMO.cluster}}`, DEMO.cluster.replaceAll('-', ''), 'true', 'null', 'on ', 'MID',
  'x'.repeat(257), 'y'.repeat(70_000)
]

/** Any UTF-16 code units, lone surrogates included. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 24 })

const nastyString: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: fc.constantFrom(...NASTY_STRINGS), weight: 3 },
  { arbitrary: anyUnits, weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 24 }), weight: 1 }
)

export const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype']
const EXTRA_KEYS = [...PROTOTYPE_KEYS, 'toString', 'hasOwnProperty', 'valueOf', '', '\u0000', 'ó', 'extra', 'z'.repeat(1000)]

/** `leaf` inside `depth` arrays or objects; past a few levels as text, so no helper here recurses that deep. */
function nested (depth: number, leaf: Json, inObject: boolean): Json {
  if (depth > 20) {
    const [open, close] = inObject ? ['{"a":', '}'] : ['[', ']']
    return new Raw(open.repeat(depth) + toJsonText(leaf) + close.repeat(depth))
  }
  let value = leaf
  for (let i = 0; i < depth; i++) value = inObject ? new Obj([['a', value]]) : [value]
  return value
}

export const nastyValue: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { arbitrary: nastyNumber, weight: 4 },
    { arbitrary: nastyString, weight: 4 },
    { arbitrary: notJson, weight: 1 },
    { arbitrary: fc.constantFrom<Json>(null, true, false, 0, [], new Obj([])), weight: 2 },
    { arbitrary: fc.constantFrom(...PROTOTYPE_KEYS).map((key) => new Obj([[key, new Obj([['polluted', true]])]])), weight: 1 },
    { arbitrary: fc.tuple(fc.integer({ min: 2, max: 5000 }), fc.boolean()).map(([depth, inObject]) => nested(depth, 1, inObject)), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: 20_000 }).map((n): Json => Array.from({ length: n }, () => 0)), weight: 1 },
    { arbitrary: fc.array(tie('value'), { maxLength: 3 }), weight: 1 }
  )
})).value

// ---------------------------------------------------------------- values from a schema

/** The part of JSON Schema the OpenAPI document of this app uses. */
export interface JsonSchema {
  type?: string
  format?: string
  enum?: unknown[]
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  properties?: Record<string, JsonSchema>
  required?: string[]
  anyOf?: JsonSchema[]
}

/** Values worth trying for a field, by name: ids that exist, times inside the journal, … */
export type Hints = Record<string, fc.Arbitrary<unknown>>

export interface Pools {
  uuids: string[]
  hints: Hints
}

const uint64Text = fc.oneof(fc.nat(1000), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(String)

/** A value the schema accepts (mostly: hints may stray, as real clients do). */
export function schemaValue (schema: JsonSchema, pools: Pools, name?: string): fc.Arbitrary<unknown> {
  const base = schemaBase(schema, pools)
  const hint = name === undefined ? undefined : pools.hints[name]
  return hint === undefined ? base : fc.oneof({ arbitrary: hint, weight: 4 }, { arbitrary: base, weight: 1 })
}

function schemaBase (schema: JsonSchema, pools: Pools): fc.Arbitrary<unknown> {
  if (schema.anyOf !== undefined) return fc.oneof(...schema.anyOf.map((s) => schemaBase(s, pools)))
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum)
  switch (schema.type) {
    case 'string':
      if (schema.format === 'uuid') return fc.oneof({ arbitrary: fc.constantFrom(...pools.uuids), weight: 4 }, { arbitrary: fc.uuid(), weight: 1 })
      if (schema.pattern === '^[0-9]+$') return uint64Text
      if (schema.pattern !== undefined) return fc.stringMatching(new RegExp(schema.pattern), { maxLength: 64 })
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 32, 32) })
    case 'integer': {
      const min = schema.minimum ?? -(2 ** 31)
      return schema.maximum === undefined
        ? fc.oneof(fc.integer({ min, max: min + 100 }), fc.integer({ min, max: Number.MAX_SAFE_INTEGER }))
        : fc.integer({ min, max: schema.maximum })
    }
    case 'boolean': return fc.boolean()
    case 'null': return fc.constant(null)
    case 'array':
      return fc.array(schemaValue(schema.items ?? {}, pools), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) })
    case 'object': {
      const properties = schema.properties ?? {}
      const model = Object.fromEntries(Object.entries(properties).map(([key, s]) => [key, schemaValue(s, pools, key)]))
      return fc.record(model, { requiredKeys: schema.required ?? [] })
    }
    default: return fc.jsonValue()
  }
}

// ---------------------------------------------------------------- value mutations

type Path = Array<string | number>

function pathsOf (value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix]
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...prefix, i])))
  else if (value instanceof Obj) value.entries.forEach(([, v], i) => out.push(...pathsOf(v, [...prefix, i])))
  return out
}

/** Rebuilds `value` with the node at `path` replaced by what `change` makes of it (undefined: removed). */
function updateAt (value: Json, path: Path, change: (node: Json) => Json | undefined): Json | undefined {
  const [head, ...rest] = path
  if (head === undefined) return change(value)
  if (Array.isArray(value)) {
    const next = value.slice()
    const updated = updateAt(value[head as number] ?? null, rest, change)
    if (updated === undefined) next.splice(head as number, 1)
    else next[head as number] = updated
    return next
  }
  if (value instanceof Obj) {
    const entries = value.entries.slice()
    const [key, child] = entries[head as number] ?? ['', null]
    const updated = updateAt(child, rest, change)
    if (updated === undefined) entries.splice(head as number, 1)
    else entries[head as number] = [key, updated]
    return new Obj(entries)
  }
  return value
}

export interface Mutation {
  kind: 'replace' | 'remove' | 'extraKey' | 'duplicateKey' | 'nest' | 'whole'
  /** Which node, modulo the number of nodes. */
  at: number
  value: Json
  key: string
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace', 'replace', 'replace', 'remove', 'remove', 'extraKey', 'duplicateKey', 'nest', 'whole'),
  at: fc.nat(),
  value: nastyValue,
  key: fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ maxLength: 8 }))
})

export function applyMutation (value: Json, m: Mutation): Json {
  if (m.kind === 'whole') return m.value
  const paths = pathsOf(value)
  const path = paths[m.at % paths.length] ?? []
  const changed = updateAt(value, path, (node) => {
    switch (m.kind) {
      case 'replace': return m.value
      case 'remove': return path.length === 0 ? null : undefined
      case 'nest': return nested(1 + (m.at % 50), node, m.at % 2 === 0)
      case 'extraKey': return node instanceof Obj ? new Obj([...node.entries, [m.key, m.value]]) : m.value
      case 'duplicateKey': {
        if (!(node instanceof Obj)) return m.value
        const first = node.entries[0]
        return new Obj(first === undefined ? [[m.key, m.value], [m.key, m.value]] : [...node.entries, [first[0], m.value]])
      }
    }
    return node
  })
  return changed ?? null
}

/** A valid value, then up to three mutations (none in about a third of cases). */
export function mutated (valid: fc.Arbitrary<unknown>): fc.Arbitrary<Json> {
  return fc.tuple(valid, fc.oneof({ arbitrary: fc.constant([]), weight: 1 }, { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }), weight: 2 }))
    .map(([value, mutations]) => mutations.reduce(applyMutation, fromPlain(value)))
}

// ---------------------------------------------------------------- transport mutations

const CONTENT_TYPES = [
  'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-16', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', '', 'application/jsonx', 'application/json, text/plain', 'application/*', 'application/json; x="\u00e9"'
]
/** undefined: no content-type header at all. */
const contentType = fc.oneof(
  { arbitrary: fc.constant<string | undefined>('application/json'), weight: 12 },
  { arbitrary: fc.constantFrom<string | undefined>(...CONTENT_TYPES, undefined), weight: 1 }
)

type TextMutation =
  | { kind: 'none' | 'bom' | 'empty' | 'singleQuotes' | 'comment' }
  | { kind: 'truncate' | 'insert' | 'trailing' | 'badUtf8', at: number, text: string }

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { arbitrary: fc.constant<TextMutation>({ kind: 'none' }), weight: 16 },
  { arbitrary: fc.constantFrom<TextMutation>({ kind: 'bom' }, { kind: 'empty' }, { kind: 'singleQuotes' }, { kind: 'comment' }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('truncate' as const, 'insert' as const, 'trailing' as const, 'badUtf8' as const),
      at: fc.nat(),
      text: fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', 'x', ' ', '\ufeff', '{"a":1}', '[[[[[[[[', '\\ud800')
    }),
    weight: 3
  }
)

const BAD_UTF8 = [Buffer.from([0xff]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xe2, 0x82])]

function mutateText (text: string, m: TextMutation): string | Buffer {
  const at = 'at' in m ? m.at % (text.length + 1) : 0
  switch (m.kind) {
    case 'none': return text
    case 'bom': return `\ufeff${text}`
    case 'empty': return ''
    case 'singleQuotes': return text.replaceAll('"', "'")
    case 'comment': return `/* c */${text}`
    case 'truncate': return text.slice(0, at)
    case 'insert': return text.slice(0, at) + m.text + text.slice(at)
    case 'trailing': return text + m.text
    case 'badUtf8': return Buffer.concat([Buffer.from(text.slice(0, at)), BAD_UTF8[m.at % BAD_UTF8.length] ?? Buffer.alloc(0), Buffer.from(text.slice(at))])
  }
}

/** Percent-encodes, lone surrogates as the bytes a sloppy client would send. */
function encode (text: string): string {
  return Array.from(text, (char) => {
    try {
      return encodeURIComponent(char)
    } catch {
      return '%ED%A0%80'
    }
  }).join('')
}

const QUERY_GARBAGE = ['%zz', '%', '%00', '%ff%fe', '&&&', '=', '==x', 'a=%E2%80%AE', '__proto__=1', 'constructor=x', 'constructor[prototype][x]=1',
  'cluster_uuid[]=x', '%25%32%35', 'page_size=1&page_size=2', 'tenant', 'x=' + 'q'.repeat(5000), '?', '#frag', 'page_num=%2B1', 'page_num=1e3', 'page_num=0x1', 'page_size=-0']

type QueryMutation = { kind: 'none' } | { kind: 'garbage', text: string, front: boolean } | { kind: 'repeat', at: number }

const queryMutation: fc.Arbitrary<QueryMutation> = fc.oneof(
  { arbitrary: fc.constant<QueryMutation>({ kind: 'none' }), weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('garbage' as const), text: fc.constantFrom(...QUERY_GARBAGE), front: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('repeat' as const), at: fc.nat() }), weight: 1 }
)

function queryString (query: Json, m: QueryMutation): string {
  const pairs: string[] = []
  const add = (key: string, value: Json): void => {
    if (Array.isArray(value)) value.forEach((v) => add(key, v))
    else pairs.push(`${encode(key)}=${encode(toText(value))}`)
  }
  if (query instanceof Obj) query.entries.forEach(([key, value]) => add(key, value))
  else if (query !== null) add('q', query)
  if (m.kind === 'garbage') pairs[m.front ? 'unshift' : 'push'](m.text)
  if (m.kind === 'repeat' && pairs.length > 0) pairs.push(pairs[m.at % pairs.length] ?? '')
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`
}

const PATH_GARBAGE = ['', '%2F', '..', '.', '%00', '%zz', 'x'.repeat(3000), '%E2%80%AE', '%ED%A0%80', 'a b', '{id}', ':volume_uuid', '*']
type PathMutation = { kind: 'none' | 'trailingSlash' | 'doubleSlash' | 'upper' | 'dotSegment' } | { kind: 'param', text: string }

const pathMutation: fc.Arbitrary<PathMutation> = fc.oneof(
  { arbitrary: fc.constant<PathMutation>({ kind: 'none' }), weight: 12 },
  { arbitrary: fc.constantFrom<PathMutation>({ kind: 'trailingSlash' }, { kind: 'doubleSlash' }, { kind: 'upper' }, { kind: 'dotSegment' }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('param' as const), text: fc.oneof(fc.constantFrom(...PATH_GARBAGE), anyUnits.map(encode)) }), weight: 1 }
)

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const
type Method = typeof METHODS[number]

// ---------------------------------------------------------------- endpoints from the OpenAPI document

interface OpenApiParameter { in: string, name: string, required?: boolean, schema: JsonSchema }
interface OpenApiOperation {
  parameters?: OpenApiParameter[]
  requestBody?: { content: Record<string, { schema: JsonSchema }> }
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>
  components?: { schemas?: Record<string, unknown> }
}

/** The schema with every `#/components/schemas/…` reference replaced by what it names. */
function inlineRefs (schema: unknown, doc: OpenApiDocument): JsonSchema {
  const inline = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(inline)
    if (typeof node !== 'object' || node === null) return node
    const ref = (node as { $ref?: unknown }).$ref
    if (typeof ref === 'string') {
      const target = doc.components?.schemas?.[ref.replace('#/components/schemas/', '')]
      if (target === undefined) throw new Error(`the document has no ${ref}`)
      return inline(target)
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, inline(v)]))
  }
  return inline(schema) as JsonSchema
}

export interface Endpoint {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** The OpenAPI path, `{name}` for a path parameter. */
  path: string
  pathParams: Record<string, JsonSchema>
  query?: JsonSchema
  body?: JsonSchema
}

export function endpointsOf (doc: OpenApiDocument, prefix: string): Endpoint[] {
  const endpoints: Endpoint[] = []
  for (const [path, operations] of Object.entries(doc.paths)) {
    if (!path.startsWith(prefix)) continue
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = operation.parameters ?? []
      const inPart = (part: string) => parameters.filter((p) => p.in === part)
      const query = inPart('query')
      endpoints.push({
        method: method.toUpperCase() as Endpoint['method'],
        path,
        pathParams: Object.fromEntries(inPart('path').map((p) => [p.name, inlineRefs(p.schema, doc)])),
        ...(query.length === 0
          ? {}
          : { query: { type: 'object', properties: Object.fromEntries(query.map((p) => [p.name, inlineRefs(p.schema, doc)])), required: query.filter((p) => p.required === true).map((p) => p.name) } }),
        ...(operation.requestBody === undefined ? {} : { body: inlineRefs(operation.requestBody.content['application/json']?.schema ?? {}, doc) })
      })
    }
  }
  return endpoints
}

/** One fuzzed request, as app.inject takes it. */
export interface FuzzRequest {
  method: Method
  url: string
  headers: Record<string, string>
  payload?: string | Buffer
}

/** `headers`: sent with every request of the endpoint (a Range, so that no raw image is a whole volume). */
export function requestArbitrary (endpoint: Endpoint, pools: Pools, headers: fc.Arbitrary<Record<string, string>> = fc.constant({})): fc.Arbitrary<FuzzRequest> {
  const params = Object.entries(endpoint.pathParams)
  return fc.record({
    headers,
    params: fc.tuple(...params.map(([name, schema]) => schemaValue(schema, pools, name))),
    pathMutation,
    query: endpoint.query === undefined ? fc.constant(null) : mutated(schemaValue(endpoint.query, pools)),
    queryMutation,
    body: endpoint.body === undefined ? fc.constant(null) : mutated(schemaValue(endpoint.body, pools)),
    textMutation,
    contentType,
    method: fc.oneof({ arbitrary: fc.constant(endpoint.method), weight: 20 }, { arbitrary: fc.constantFrom(...METHODS), weight: 1 })
  }).map((r): FuzzRequest => {
    let path = endpoint.path
    params.forEach(([name], i) => {
      const value = r.pathMutation.kind === 'param' ? r.pathMutation.text : encode(String(r.params[i]))
      path = path.replace(`{${name}}`, value)
    })
    switch (r.pathMutation.kind) {
      case 'trailingSlash': path += '/'; break
      case 'doubleSlash': path = path.replace('/', '//'); break
      case 'upper': path = path.toUpperCase(); break
      case 'dotSegment': path = path.replace(/\/([^/]+)$/, '/./$1'); break
    }
    const url = path + (endpoint.query === undefined ? '' : queryString(r.query, r.queryMutation))
    const headers: Record<string, string> = { ...r.headers }
    if (r.contentType !== undefined && endpoint.body !== undefined) headers['content-type'] = r.contentType
    if (endpoint.body === undefined) return { method: r.method, url, headers }
    return { method: r.method, url, headers, payload: mutateText(toJsonText(r.body), r.textMutation) }
  })
}

// ---------------------------------------------------------------- the answer

const ENVELOPE_KEYS = ['data', 'desc', 'message', 'message_cn', 'scode', 'stack']

interface EnvelopeLike { scode: unknown, desc: unknown, message: unknown, message_cn: unknown, stack: unknown, data: unknown }

/**
 * The HTTP status each scode must travel as, written here rather than read from src/errors.ts
 * (whose statuses are what this checks): the class of an scode is its thousand (DESIGN §3:
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
  const envelope = checkEnvelope(parseLossless(text), status, 'answer')
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
