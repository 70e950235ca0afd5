// Property-based request fuzzing, part 1 of 3 (used by test/system/fuzz/ through fuzz-app.ts):
// JSON values with anything in them (tokens JSON.stringify cannot write, repeated and
// prototype keys, nasty strings, uint64 edges), values drawn from a field's JSON Schema, and
// the value-level mutations of a valid one. requests.ts makes requests of them, property.ts
// checks what comes back.
import fc from 'fast-check'
import { DEMO } from '../demo.js'

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
export function toText (value: Json): string {
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
export const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 24 })

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
