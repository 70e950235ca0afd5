// Building blocks shared by the spec's objects: uuids, uint64 in and out, the envelope.
// A record that the OpenAPI document names carries its component name as `title` (an
// annotation every validator ignores); src/plugins/openapi.ts hoists those into
// `components.schemas`. The TypeBox kinds registered here let the same schemas be checked
// by TypeBox (agent protocol, client) as well as by Ajv and fast-json-stringify (routes).
import { FormatRegistry, Kind, Type, TypeRegistry, type Static, type TSchema } from '@sinclair/typebox'
import { UINT64_MAX } from '../json.js'
import { UUID } from '../uuid.js'

FormatRegistry.Set('uuid', (value) => UUID.test(value))
TypeRegistry.Set('Uint64', (_schema, value) => typeof value === 'bigint' && value >= 0n && value <= UINT64_MAX)
TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value))

/** Checked by the `uuid` format registered in src/validation.ts (and with TypeBox above). */
export function Uuid (description: string) {
  return Type.String({ format: 'uuid', description })
}

/** One of a few strings, as a plain `enum` (one Ajv keyword, one clear OpenAPI list). */
export function StringEnum<T extends string> (values: readonly T[], description?: string) {
  return Type.Unsafe<T>({ [Kind]: 'StringEnum', type: 'string', enum: [...values], ...(description === undefined ? {} : { description }) })
}

/** Said once on every 64-bit field of the document: generators otherwise make them float64. */
const LOSSLESS = '64-bit: values above 2^53 need a lossless JSON decoder (not plain JSON.parse)'

/**
 * Request fields typed uint64 by the spec. A validation failure on any of them is
 * INVALID_UINT64, whatever the JSON type was: the client sent something that is not one.
 */
export const UINT64_FIELDS: ReadonlySet<string> = new Set([
  'reserve_capacity', 'reserve_duration', 'timestamp', 'usd_seq', 'seconds', 'nanoseconds', 'at', 'from', 'to'
])

/** A uint64 in a JSON body: an integer or a decimal string; `toUint64` makes it a bigint. */
export function Uint64Input (description: string) {
  return Type.Union([
    Type.Integer({ minimum: 0, format: 'uint64' }),
    Type.String({ pattern: '^[0-9]+$', maxLength: 20 })
  ], { description: `${description}（uint64：JSON整数或十进制字符串）. ${LOSSLESS}` })
}

/**
 * A uint64 in a querystring: decimal digits only. Ajv would coerce a numeric query string
 * to a (rounded) number, so ns times are taken as text here and read by `toUint64`.
 */
export function Uint64Query (description: string) {
  return Type.String({ pattern: '^[0-9]+$', maxLength: 20, description: `${description}（uint64，十进制）` })
}

/**
 * A uint64 in a record: a bigint in code, printed as a JSON integer (fast-json-stringify
 * prints bigint for a plain `type: integer`). `wire()` (src/schemas/wire.ts) reads it back
 * from JSON exactly.
 */
export function Uint64 (description: string) {
  return Type.Unsafe<bigint>({ [Kind]: 'Uint64', type: 'integer', format: 'uint64', minimum: 0, description: `${description}. ${LOSSLESS}` })
}

/** An int64 the spec has (cdp_create_time, unix seconds): a JS number holds it exactly. */
export function Int64 (description: string) {
  return Type.Integer({ format: 'int64', description })
}

/**
 * A value or null, as OpenAPI 3.0 says it (`nullable: true` beside the type; Ajv and
 * fast-json-stringify read the same keyword), never an `enum: [null]` object.
 */
export function Nullable<T extends TSchema> (schema: T) {
  return Type.Unsafe<Static<T> | null>({ ...schema, nullable: true, [NullableOf]: schema })
}

/** Where a Nullable keeps the schema it makes nullable, for `wire()` to check with TypeBox. */
export const NullableOf = Symbol('NullableOf')

/** The envelope's fields besides `data`, in the spec's order. */
const ENVELOPE = {
  scode: Type.Integer({ description: '状态码，0为成功 (0: success; otherwise a catalogue scode)' }),
  desc: Type.String({ description: '错误详情 (what went wrong; "" on success)' }),
  message: Type.String({ description: '信息' }),
  message_cn: Type.String({ description: '中文信息' }),
  stack: Nullable(Type.String({ description: '调用栈（不对外提供，恒为null）' }))
}

/** The spec's Output around `data`: the envelope of every answer and every batch result. */
export function Output<T extends TSchema> (data: T, title?: string) {
  return Type.Object({ ...ENVELOPE, data }, title === undefined ? {} : { title })
}

/** The envelope of a failure: the spec's Output with `data` null. */
export const ErrorOutput = Output(Nullable(Type.Object({}, { description: '失败时为null' })), 'ErrorOutput')

/** The responses of a route: its data on success (an envelope named `title`), the error envelope otherwise. */
export function responses<T extends TSchema> (data: T, title?: string) {
  return { 200: Output(data, title), '4xx': ErrorOutput, '5xx': ErrorOutput }
}
