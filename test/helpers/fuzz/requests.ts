// Property-based request fuzzing, part 2 of 3: requests built from the app's own OpenAPI
// document (so every route and field is covered as the schemas declare it), with mutations
// at the text level (malformed JSON, bad UTF-8) and at the transport level (content types,
// querystrings, paths, methods) on top of the value mutations of values.ts.
import fc from 'fast-check'
import { type Json, type JsonSchema, type Pools, Obj, anyUnits, mutated, schemaValue, toJsonText, toText } from './values.js'

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
