// The OpenAPI document at /docs/json (and the UI at /docs), written for client generators:
// every record the schemas name (their `title`) becomes one `components.schemas` entry
// referenced by `$ref`; each operation has an operationId, a tag, an English summary beside
// the spec's Chinese description, one response per HTTP status with the scodes it carries,
// and the spec's examples (fixtures/spec-examples/). Route files say what is particular to
// them with these schema keys, which only the document reads:
//   x-scodes         the scodes the endpoint itself can answer (beside those of every request)
//   x-result-scodes  the scodes an item of its answer can carry (batch results, list ranges)
//   x-spec-required  body fields the spec marks required that the server does not insist on
//   x-doc-response   a response to document where the route has no response schema
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Scode, type ScodeName } from '../errors.js'
import { parseExact, printExact } from '../json.js'
import { ErrorOutput } from '../schemas/common.js'
import { matches, type PublicRoute } from './auth.js'

declare module 'fastify' {
  interface FastifySchema {
    'x-scodes'?: ScodeName[]
    'x-result-scodes'?: ScodeName[]
    'x-spec-required'?: string[]
    'x-doc-response'?: Record<string, unknown>
  }
}

/** What any request to the CDP API can be answered with, whatever the endpoint. */
const EVERY_REQUEST: ScodeName[] = [
  'INVALID_PARAMETER', 'MISSING_PARAMETER', 'INVALID_UUID', 'UNAUTHORIZED', 'FORBIDDEN', 'CLUSTER_NOT_FOUND',
  'INTERNAL', 'AGENT_UNREACHABLE', 'AGENT_BAD_RESPONSE', 'AGENT_TIMEOUT', 'BACKEND_UNAVAILABLE', 'STORAGE_FULL'
]
/** And a request with a JSON body besides. */
const WITH_BODY: ScodeName[] = ['INVALID_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'BODY_TOO_LARGE']

const LOSSLESS_NOTE = 'Fields of format uint64/int64 (times in ns, seq, sizes) exceed 2^53: decode answers with a lossless JSON parser (numbers above 2^53 as bigint / int64 / BigInteger), never plain JSON.parse. Requests take them as JSON integers or decimal strings.'

interface Route { schema?: Record<string, unknown>, url: string, method: string | string[] }

/** The directory holding package.json, from src/plugins/ or dist/src/plugins/ alike. */
function packageRoot (): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('volume-cdp: package.json not found above src/plugins')
    dir = parent
  }
  return dir
}

interface SpecExample { name: string, url: string, request?: string, response: string }

/**
 * The examples by path, ns times kept exact (bigint): the spec's own, and those of the
 * extensions beside the eight (fixtures/extension-examples/, in the same form); a body that
 * is not JSON is left out.
 */
function specExamples (): Map<string, { query?: URLSearchParams, request?: unknown, response: unknown }> {
  const examples = new Map<string, { query?: URLSearchParams, request?: unknown, response: unknown }>()
  for (const folder of ['spec-examples', 'extension-examples']) {
    const dir = join(packageRoot(), 'fixtures', folder)
    const read = (file: string): unknown => parseExact(readFileSync(join(dir, file), 'utf8'))
    const readable = (file: string): unknown => { try { return read(file) } catch { return undefined } }
    for (const example of read('index.json') as SpecExample[]) {
      const url = new URL(example.url, 'http://example.invalid')
      examples.set(url.pathname, {
        ...(url.search === '' ? {} : { query: url.searchParams }),
        ...(example.request === undefined ? {} : { request: readable(example.request) }),
        response: read(example.response)
      })
    }
  }
  return examples
}

function scodeList (names: ScodeName[]) {
  return [...names].sort((a, b) => Scode[a].scode - Scode[b].scode).map((name) => ({ scode: Scode[name].scode, name, status: Scode[name].status, message: Scode[name].message }))
}

/** One documented response per HTTP status, each naming the scodes it carries. */
function errorResponses (names: ScodeName[]): Record<string, unknown> {
  const byStatus = new Map<number, ScodeName[]>()
  for (const name of names) byStatus.set(Scode[name].status, [...(byStatus.get(Scode[name].status) ?? []), name])
  return Object.fromEntries([...byStatus].sort(([a], [b]) => a - b).map(([status, group]) => [status, {
    description: `Failure envelope (data null). scode: ${group.map((name) => `${Scode[name].scode} ${name} (${Scode[name].message})`).join('; ')}`,
    content: { 'application/json': { schema: ErrorOutput } }
  }]))
}

const GENERIC: Record<string, string> = {
  200: 'Success (scode 0)',
  '4xx': 'Failure envelope (data null): the request was refused; scode says why',
  '5xx': 'Failure envelope (data null): the server or its backend failed; scode says how'
}

/** Responses of a route that lists no scodes, each with a description of its class. */
function described (responses: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(responses).map(([status, schema]) =>
    [status, { description: GENERIC[status] ?? `HTTP ${status}`, content: { 'application/json': { schema } } }]))
}

/** A querystring example as its parameter's type. */
function queryValue (schema: { type?: unknown }, text: string): string | number {
  return schema.type === 'integer' ? Number(text) : text
}

/** "/sim/v1/volumes/:volume_uuid/writes" POST → "simPostVolumesWrites". */
function derivedOperationId (method: string, url: string): string {
  const words = url.split('/').filter((part) => part !== '' && part !== 'v1' && !part.startsWith('{') && !part.startsWith(':'))
  const [first = 'op', ...rest] = words
  const cap = (word: string) => word.replace(/(^|[-_])(\w)/g, (_m, _s, c: string) => c.toUpperCase())
  return `${first}${cap(method.toLowerCase())}${rest.map(cap).join('')}`
}

type Json = Record<string, unknown>
type Examples = ReturnType<typeof specExamples>

/** The route's responses, one per status, with the scodes it answers and the spec's example. */
function cdpResponses (schema: Json, own: ScodeName[], example: { response: unknown } | undefined): Json {
  const names = [...new Set([...EVERY_REQUEST, ...(schema.body === undefined ? [] : WITH_BODY), ...own])]
  schema['x-scodes'] = scodeList(names)
  const ok = (schema.response as Json)[200]
  return {
    200: {
      description: 'Success (scode 0). Batch results and list ranges carry their own envelopes.',
      content: { 'application/json': { schema: ok, ...(example === undefined ? {} : { example: example.response }) } }
    },
    ...errorResponses(names)
  }
}

/** The spec's example request as the body's example, or its querystring as the parameters'. */
function withRequestExample (schema: Json, example: ReturnType<Examples['get']>): void {
  if (example?.request !== undefined && schema.body !== undefined) schema.body = { ...schema.body as object, examples: [example.request] }
  const query = example?.query
  if (query === undefined || schema.querystring === undefined) return
  const qs = schema.querystring as { properties: Record<string, object> }
  schema.querystring = {
    ...qs,
    properties: Object.fromEntries(Object.entries(qs.properties).map(([key, value]) =>
      [key, query.has(key) ? { ...value, examples: [queryValue(value, query.get(key) ?? '')] } : value]))
  }
}

function documentRoute (route: Route, examples: Examples, publicRoutes: PublicRoute[]) {
  const schema: Json = { ...(route.schema ?? {}) }
  const method = Array.isArray(route.method) ? route.method[0] ?? 'GET' : route.method
  if (publicRoutes.some((p) => matches(p, route.url, method))) schema.security = []
  schema.operationId ??= derivedOperationId(method, route.url)
  schema.tags ??= [route.url.startsWith('/sim/') ? 'simulator' : 'ops']

  const own = schema['x-scodes'] as ScodeName[] | undefined
  const docResponse = schema['x-doc-response']
  delete schema['x-doc-response']
  if (own !== undefined) {
    schema.response = cdpResponses(schema, own, examples.get(route.url))
    withRequestExample(schema, examples.get(route.url))
  } else if (docResponse !== undefined) {
    schema.response = docResponse
  } else if (schema.response !== undefined) {
    schema.response = described(schema.response as Json)
  }
  const results = schema['x-result-scodes'] as ScodeName[] | undefined
  if (results !== undefined) schema['x-result-scodes'] = scodeList(results)
  const specRequired = schema['x-spec-required'] as string[] | undefined
  if (specRequired !== undefined) {
    const body = schema.body as { required?: string[] }
    schema.body = { ...body, required: [...new Set([...(body.required ?? []), ...specRequired])] }
    delete schema['x-spec-required']
  }
  return { schema, url: route.url }
}

/**
 * Moves every titled schema into components.schemas, children first, and puts a $ref in its
 * place. Two different schemas under one name are a bug in src/schemas/: refused here.
 */
function hoistNamedSchemas (doc: Json): Json {
  const components: Record<string, Json> = {}
  const texts = new Map<string, string>()
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit)
    if (typeof node !== 'object' || node === null || typeof node === 'bigint') return node
    const out = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, key === 'example' || key === 'examples' ? value : visit(value)]))
    const title = out.title
    if (typeof title !== 'string' || !('type' in out)) return out
    const text = printExact(out)
    const seen = texts.get(title)
    if (seen !== undefined && seen !== text) throw new Error(`OpenAPI: two different schemas are named ${title}:\n${seen}\n${text}`)
    texts.set(title, text)
    components[title] = out
    return { $ref: `#/components/schemas/${title}` }
  }
  const paths = visit(doc.paths)
  const existing = (doc.components ?? {}) as Json
  const sorted = Object.fromEntries(Object.entries(components).sort(([a], [b]) => a.localeCompare(b)))
  return { ...doc, paths, components: { ...existing, schemas: { ...(existing.schemas as Json | undefined), ...sorted } } }
}

export interface OpenApiOptions {
  /** Where the UI is served; the document is at `<docsPrefix>/json`. */
  docsPrefix: string
  /** The app's routes that need no token: documented with no security requirement. */
  publicRoutes: PublicRoute[]
}

async function openapi (app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  const examples = specExamples()
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'volume-cdp',
        description: `卷CDP（持续数据保护）内部接口: the CDP API of a storage cluster. Every answer is the envelope {scode, desc, message, message_cn, stack, data}; scode 0 is success, any other is a catalogue entry (see each operation's x-scodes). ${LOSSLESS_NOTE}`,
        version
      },
      tags: [
        { name: 'cdp', description: '卷cdp: the eight endpoints of the spec' },
        { name: 'simulator', description: 'The simulator\'s control API (mounted only on the simulator): clock, writes, images, faults' },
        { name: 'ops', description: 'Health and readiness (no token needed), metrics' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'A token of CDP_AUTH_TOKENS_FILE, when the server is configured with one' }
        }
      },
      security: [{ bearerAuth: [] }]
    },
    transform: ({ schema, url, route }) => documentRoute({ schema: schema as Json | undefined, url, method: route.method }, examples, options.publicRoutes),
    transformObject: (document) => 'openapiObject' in document ? hoistNamedSchemas(document.openapiObject as Json) : document.swaggerObject
  })
  // The document holds the spec's exact ns times (bigint): printed losslessly, as the API does.
  await app.register(async (docs) => {
    docs.setReplySerializer((payload) => printExact(payload))
    await docs.register(swaggerUi, { routePrefix: options.docsPrefix })
  })
}

export default fp(openapi, { name: 'volume-cdp-openapi', fastify: '5.x' })
