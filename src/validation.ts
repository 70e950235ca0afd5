// Request validation, decided per request part. Bodies are JSON and typed by the client,
// so nothing is coerced there; querystrings and path params are text, so numbers and
// booleans are coerced from it (Ajv never coerces "abc" to a number).
import { Ajv } from 'ajv'
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
  return ajv
}

export function buildValidatorCompiler (): FastifySchemaCompiler<FastifySchema> {
  const bodyAjv = buildAjv(false)
  const textAjv = buildAjv(true)
  return ({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema)
}
