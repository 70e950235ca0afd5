// The records on the wire, read back exactly. JSON has no bigint: a uint64 travels as a JSON
// integer (or a decimal string), and a lossless parser (src/json.ts) leaves an integer above
// 2^53 as its text. `wire(record)` is the record with each Uint64 replaced by a transform
// that accepts those and decodes to bigint; `decode` checks a parsed body against it and
// converts in one step. The agent protocol (both sides) and the official client use these.
// A peer may instead write every uint64 as a decimal string (the agent protocol's
// `uint64-strings`): then the engine's JSON.parse reads the body, and `decodeStrings` checks
// it against the schema's string form and turns those strings into bigint.
import { Kind, OptionalKind, Type, type Static, type StaticDecode, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { CdpError, type ScodeName } from '../errors.js'
import { UINT64_MAX } from '../json.js'
import { NullableOf } from './common.js'

/** Marks WireUint64 and the string uint64 of a string form (TypeBox's clones keep it). */
const IS_UINT64 = Symbol('uint64 on the wire')

const DECIMAL_UINT64 = '^[0-9]{1,20}$'

/** Decimal digits (or a safe JSON integer) as the uint64 they write; above 2^64−1 is refused. */
function toBigint (value: number | string): bigint {
  const n = BigInt(value)
  if (n > UINT64_MAX) throw new Error('above 2^64-1')
  return n
}

/** A uint64 on the wire: a JSON integer (or decimal string), a bigint once decoded. */
export const WireUint64 = Type.Transform(Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: DECIMAL_UINT64 })
], { format: 'uint64', description: 'uint64: a JSON integer, exact (parse losslessly), or a decimal string', [IS_UINT64]: true }))
  .Decode(toBigint)
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
  const check = checkOrFail(schema, value, code)
  try {
    return check.Decode(value)
  } catch (err) {
    throw new CdpError(code, (err as Error).message)
  }
}

/**
 * `decode` for a body whose every uint64 is a decimal string and whose other numbers came
 * through JSON.parse: it must fit the schema's string form (a uint64 as a JSON number, or
 * any number beyond 2^53, is `code`, so no uint64 passes through a double), and then its
 * uint64 strings are replaced by bigints in place, walking only where the schema has one.
 */
export function decodeStrings<T extends TSchema> (schema: T, value: unknown, code: ScodeName): StaticDecode<T> {
  let form = stringForms.get(schema)
  if (form === undefined) {
    const checked = stringForm(schema)
    form = { checked, convert: converter(checked) }
    stringForms.set(schema, form)
  }
  checkOrFail(form.checked, value, code)
  try {
    return (form.convert === undefined ? value : form.convert(value)) as StaticDecode<T>
  } catch (err) {
    throw new CdpError(code, (err as Error).message)
  }
}

/** Turns a checked value's uint64 strings into bigints in place, and answers it. */
type Convert = (value: unknown) => unknown

const stringForms = new WeakMap<TSchema, { checked: TSchema, convert: Convert | undefined }>()

/**
 * A wire schema as a `uint64-strings` peer writes it: each uint64 decimal digits only, and
 * every other integer within ±(2^53−1), the numbers a double holds exactly (JSON.parse
 * rounds a longer one to a neighbour that no longer fits, so it is refused).
 */
function stringForm (schema: TSchema): TSchema {
  const optional = schema[OptionalKind] === 'Optional'
  const converted = stringFormOf(schema)
  return optional ? Type.Optional(converted) : converted
}

function stringFormOf (schema: TSchema): TSchema {
  if ((schema as { [IS_UINT64]?: boolean })[IS_UINT64] === true) return Type.String({ pattern: DECIMAL_UINT64, [IS_UINT64]: true })
  switch (schema[Kind]) {
    case 'Integer': return {
      ...schema,
      minimum: Math.max(schema.minimum as number | undefined ?? -Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
      maximum: Math.min(schema.maximum as number | undefined ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    }
    case 'Object': {
      const properties = Object.fromEntries(Object.entries(schema.properties as Record<string, TSchema>).map(([key, value]) => [key, stringForm(value)]))
      const { properties: _, required: __, ...options } = schema
      return Type.Object(properties, options)
    }
    case 'Array': {
      const { items, ...options } = schema
      return Type.Array(stringForm(items as TSchema), options)
    }
    case 'Union': return Type.Union((schema.anyOf as TSchema[]).map(stringForm), { description: schema.description })
    default: return schema
  }
}

/** The conversion a checked string form needs; undefined where it holds no uint64. */
function converter (schema: TSchema): Convert | undefined {
  if ((schema as { [IS_UINT64]?: boolean })[IS_UINT64] === true) return (value) => toBigint(value as string)
  switch (schema[Kind]) {
    case 'Object': {
      const fields = Object.entries(schema.properties as Record<string, TSchema>)
        .flatMap(([key, value]) => { const convert = converter(value); return convert === undefined ? [] : [{ key, convert }] })
      if (fields.length === 0) return undefined
      return (value) => {
        const record = value as Record<string, unknown>
        for (const { key, convert } of fields) if (record[key] !== undefined) record[key] = convert(record[key])
        return record
      }
    }
    case 'Array': {
      const convert = converter(schema.items as TSchema)
      if (convert === undefined) return undefined
      return (value) => {
        const items = value as unknown[]
        for (let i = 0; i < items.length; i++) items[i] = convert(items[i])
        return items
      }
    }
    case 'Union': {
      // As TypeBox decodes a union: by the first member the value fits.
      const members = (schema.anyOf as TSchema[]).map((member) => ({ check: compiled(member), convert: converter(member) }))
      if (members.every(({ convert }) => convert === undefined)) return undefined
      return (value) => {
        const member = members.find(({ check }) => check.Check(value))
        return member?.convert === undefined ? value : member.convert(value)
      }
    }
    default: return undefined
  }
}

/** The schema's compiled checker, once `value` fits it; else `code`, naming the first field at fault. */
function checkOrFail<T extends TSchema> (schema: T, value: unknown, code: ScodeName): TypeCheck<T> {
  const check = compiled(schema)
  if (!check.Check(value)) {
    const first = check.Errors(value).First()
    const message = first === undefined ? 'does not fit' : Array.isArray(first.schema.enum) ? `must be one of ${first.schema.enum.join(', ')}` : first.message
    throw new CdpError(code, `${first === undefined || first.path === '' ? 'body' : first.path}: ${message}`)
  }
  return check
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
