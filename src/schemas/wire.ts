// The records on the wire, read back exactly. JSON has no bigint: a uint64 travels as a JSON
// integer (or a decimal string), and a lossless parser (src/json.ts) leaves an integer above
// 2^53 as its text. `wire(record)` is the record with each Uint64 replaced by a transform
// that accepts those and decodes to bigint; `decode` checks a parsed body against it and
// converts in one step. The agent protocol (both sides) and the official client use these.
import { Kind, OptionalKind, Type, type Static, type StaticDecode, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { CdpError, type ScodeName } from '../errors.js'
import { UINT64_MAX } from '../json.js'
import { NullableOf } from './common.js'

/** A uint64 on the wire: a JSON integer (or decimal string), a bigint once decoded. */
export const WireUint64 = Type.Transform(Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: '^[0-9]{1,20}$' })
], { format: 'uint64', description: 'uint64: a JSON integer, exact (parse losslessly), or a decimal string' }))
  .Decode((value) => {
    const n = BigInt(value)
    if (n > UINT64_MAX) throw new Error('above 2^64-1')
    return n
  })
  .Encode((value: bigint) => value.toString())

/**
 * The same schema as it travels in JSON. Typed as its record (what `decode` gives); at run
 * time it is an ordinary TypeBox schema with transforms where the record has a Uint64.
 */
export function wire<T extends TSchema> (schema: T): TUnsafe<Static<T>> {
  return toWire(schema) as TUnsafe<Static<T>>
}

function toWire (schema: TSchema): TSchema {
  const optional = schema[OptionalKind] === 'Optional'
  const converted = convert(schema)
  return optional ? Type.Optional(converted) : converted
}

function convert (schema: TSchema): TSchema {
  const nullableOf = (schema as { [NullableOf]?: TSchema })[NullableOf]
  if (nullableOf !== undefined) return Type.Union([toWire(nullableOf), Type.Null()])
  switch (schema[Kind]) {
    case 'Uint64': return WireUint64
    case 'Object': {
      const properties = Object.fromEntries(Object.entries(schema.properties as Record<string, TSchema>).map(([key, value]) => [key, toWire(value)]))
      const { properties: _, required: __, ...options } = schema
      return Type.Object(properties, options)
    }
    case 'Array': {
      const { items, ...options } = schema
      return Type.Array(toWire(items as TSchema), options)
    }
    case 'Union': return Type.Union((schema.anyOf as TSchema[]).map(toWire), { description: schema.description })
    default: return schema
  }
}

/**
 * Validates a parsed body against a schema (a `wire()` one, or any TypeBox schema) and
 * converts its uint64 fields to bigint. A body that does not fit is `code` (an agent
 * refuses a bad request with INVALID_PARAMETER; a client treats a bad answer as
 * AGENT_BAD_RESPONSE).
 */
export function decode<T extends TSchema> (schema: T, value: unknown, code: ScodeName): StaticDecode<T> {
  const check = compiled(schema)
  if (!check.Check(value)) {
    const first = check.Errors(value).First()
    const message = first === undefined ? 'does not fit' : Array.isArray(first.schema.enum) ? `must be one of ${first.schema.enum.join(', ')}` : first.message
    throw new CdpError(code, `${first === undefined || first.path === '' ? 'body' : first.path}: ${message}`)
  }
  try {
    return check.Decode(value)
  } catch (err) {
    throw new CdpError(code, (err as Error).message)
  }
}

/** Each schema is compiled to a checker once: every call and answer goes through one. */
const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>()

function compiled<T extends TSchema> (schema: T): TypeCheck<T> {
  let check = checkers.get(schema)
  if (check === undefined) {
    check = TypeCompiler.Compile(schema)
    checkers.set(schema, check)
  }
  return check as TypeCheck<T>
}
