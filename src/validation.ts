// Request validation, decided per request part. Bodies are JSON and typed by the client,
// so nothing is coerced there; querystrings and path params are text, so numbers and
// booleans are coerced from it (Ajv never coerces "abc" to a number).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import type { FastifySchema, FastifySchemaCompiler } from 'fastify'
import { UUID } from './uuid.js'

function buildAjv (coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: true,
    // One error is enough to answer with, and collecting all of them is a DoS lever.
    allErrors: false
  })
  ajv.addFormat('uuid', UUID)
  // Annotations for generators (src/schemas/common.ts): the range is checked by the schema.
  ajv.addFormat('uint64', true)
  ajv.addFormat('int64', true)
  return ajv
}

const DECIMAL_DIGITS = /^[0-9]+$/

function fieldError (key: string, message: string): ErrorObject {
  return { keyword: 'type', instancePath: `/${key}`, schemaPath: '#', params: {}, message }
}

/** The top-level fields a (flat) text part's schema types as numbers. */
function numberFields (schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, { type?: unknown }> }).properties ?? {}
  return Object.keys(properties).filter((key) => properties[key]?.type === 'integer' || properties[key]?.type === 'number')
}

/**
 * Ajv's coercion reads text as JavaScript does: "0x10", " 16", "1e1" and "1.0" all become
 * 16, 10 or 1. A number in a querystring or path is decimal digits only, so those are
 * refused before coercion. Ajv also coerces a long run of digits to Infinity and then
 * passes it, bounds and all (its keywords do not see the coerced value): refused after.
 */
function checkTextNumbers (schema: unknown, validate: ValidateFunction): ValidateFunction {
  const fields = numberFields(schema)
  const checked = ((data: unknown) => {
    checked.errors = null
    const values = data as Record<string, unknown>
    const spelled = fields.find((key) => typeof values[key] === 'string' && !DECIMAL_DIGITS.test(values[key]))
    if (spelled !== undefined) {
      checked.errors = [fieldError(spelled, 'must be an integer in decimal digits')]
      return false
    }
    if (!validate(data)) {
      checked.errors = validate.errors
      return false
    }
    const infinite = fields.find((key) => typeof values[key] === 'number' && !Number.isFinite(values[key]))
    if (infinite === undefined) return true
    checked.errors = [fieldError(infinite, 'must be a finite number')]
    return false
  }) as ValidateFunction
  return checked
}

export function buildValidatorCompiler (): FastifySchemaCompiler<FastifySchema> {
  const bodyAjv = buildAjv(false)
  const textAjv = buildAjv(true)
  return ({ schema, httpPart, contentType }) => {
    // A raw body is a Buffer its parser bounded; its schema only documents it.
    if (httpPart === 'body' && contentType === 'application/octet-stream') return () => true
    return httpPart === 'body' ? bodyAjv.compile(schema) : checkTextNumbers(schema, textAjv.compile(schema))
  }
}
