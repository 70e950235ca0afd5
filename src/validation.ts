// Request validation, decided per request part. Bodies are JSON and typed by the client,
// so nothing is coerced there; querystrings and path params are text, so numbers and
// booleans are coerced from it (Ajv never coerces "abc" to a number).
import { Ajv, type ValidateFunction } from 'ajv'
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

/**
 * Ajv coerces "1e400" to Infinity and then passes it, bounds and all (its keywords do not
 * see the coerced value). Text parts are flat, so one look at their values refuses that.
 */
function refuseNonFinite (validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown) => {
    checked.errors = null
    if (!validate(data)) {
      checked.errors = validate.errors
      return false
    }
    const key = Object.entries(data as Record<string, unknown>).find(([, value]) => typeof value === 'number' && !Number.isFinite(value))?.[0]
    if (key === undefined) return true
    checked.errors = [{ keyword: 'type', instancePath: `/${key}`, schemaPath: '#', params: { type: 'finite number' }, message: 'must be a finite number' }]
    return false
  }) as ValidateFunction
  return checked
}

export function buildValidatorCompiler (): FastifySchemaCompiler<FastifySchema> {
  const bodyAjv = buildAjv(false)
  const textAjv = buildAjv(true)
  return ({ schema, httpPart }) => httpPart === 'body' ? bodyAjv.compile(schema) : refuseNonFinite(textAjv.compile(schema))
}
