// Building blocks shared by the spec's objects: uuids, uint64 in and out, the envelope.
import { Type, type TSchema } from '@sinclair/typebox'

/** Checked by the `uuid` format registered in src/validation.ts. */
export function Uuid (description: string) {
  return Type.String({ format: 'uuid', description })
}

/** One of a few strings, as a plain `enum` (one Ajv keyword, one clear OpenAPI list). */
export function StringEnum<T extends string> (values: readonly T[], description: string) {
  return Type.Unsafe<T>({ type: 'string', enum: [...values], description })
}

/**
 * Request fields typed uint64 by the spec. A validation failure on any of them is
 * INVALID_UINT64, whatever the JSON type was: the client sent something that is not one.
 */
export const UINT64_FIELDS: ReadonlySet<string> = new Set([
  'reserve_capacity', 'reserve_duration', 'timestamp', 'usd_seq', 'seconds', 'nanoseconds', 'at'
])

/** A uint64 in a JSON body: an integer or a decimal string; `toUint64` makes it a bigint. */
export function Uint64Input (description: string) {
  return Type.Union([
    Type.Integer({ minimum: 0 }),
    Type.String({ pattern: '^[0-9]+$', maxLength: 20 })
  ], { description: `${description}（uint64：JSON整数或十进制字符串）` })
}

/**
 * A uint64 in a querystring: decimal digits only. Ajv would coerce a numeric query string
 * to a (rounded) number, so ns times are taken as text here and read by `toUint64`.
 */
export function Uint64Query (description: string) {
  return Type.String({ pattern: '^[0-9]+$', maxLength: 20, description: `${description}（uint64，十进制）` })
}

/** A uint64 in a response, printed as a JSON integer (fast-json-stringify prints bigint). */
export function Uint64 (description: string) {
  return Type.Unsafe<bigint>({ type: 'integer', minimum: 0, description })
}

/** The spec's Output: the envelope around every answer and every batch result. */
export function Output<T extends TSchema> (data: T) {
  return Type.Object({
    scode: Type.Integer({ description: '状态码，0为成功' }),
    desc: Type.String({ description: '错误详情' }),
    message: Type.String({ description: '信息' }),
    message_cn: Type.String({ description: '中文信息' }),
    stack: Type.Null({ description: '调用栈（不对外提供）' }),
    data
  })
}

export const ErrorOutput = Output(Type.Null({ description: '失败时为null' }))

/** The responses of a route: its data on success, the error envelope otherwise. */
export function responses<T extends TSchema> (data: T) {
  return { 200: Output(data), '4xx': ErrorOutput, '5xx': ErrorOutput }
}
