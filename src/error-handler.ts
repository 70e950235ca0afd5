// Every failure becomes the envelope with a catalogue scode and that entry's HTTP status:
// CdpErrors as they are, Fastify's own request errors by their code, Ajv's validation
// errors by what they say about which field. Anything else is a bug: INTERNAL, logged,
// and nothing of it (stack, SQL, paths) goes into the body.
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify'
import { CdpError, isCdpError } from './errors.js'
import { failed } from './envelope.js'
import { UINT64_FIELDS } from './schemas/common.js'

/** `/volumes/0/volume_uuid` → `volumes[0].volume_uuid`, the way a client names a field. */
function fieldName (instancePath: string, property?: string): string {
  const parts = instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
  if (property !== undefined) parts.push(property)
  return parts.reduce((name, part) => /^[0-9]+$/.test(part) ? `${name}[${part}]` : name === '' ? part : `${name}.${part}`, '')
}

function validationError (error: FastifySchemaValidationError, part: string, request: FastifyRequest): CdpError {
  const { keyword, instancePath, params } = error
  if (keyword === 'required') {
    return new CdpError('MISSING_PARAMETER', `${fieldName(instancePath, String(params.missingProperty))} is required`)
  }
  if (instancePath === '') {
    return part === 'body' && request.body === undefined
      ? new CdpError('MISSING_PARAMETER', 'request body is required')
      : new CdpError('INVALID_PARAMETER', `${part} ${error.message ?? 'is invalid'}`)
  }
  const field = fieldName(instancePath)
  const last = instancePath.slice(instancePath.lastIndexOf('/') + 1)
  if (UINT64_FIELDS.has(last)) {
    return new CdpError('INVALID_UINT64', `${field} must be an unsigned 64-bit integer (JSON integer or decimal string)`)
  }
  if (keyword === 'format' && params.format === 'uuid') return new CdpError('INVALID_UUID', `${field} must be a uuid`)
  if (keyword === 'maxItems' && last === 'volumes') {
    return new CdpError('TOO_MANY_VOLUMES', `volumes must have at most ${String(params.limit)} items`)
  }
  if (keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return new CdpError('INVALID_PARAMETER', `${field} must be one of ${params.allowedValues.join(', ')}`)
  }
  return new CdpError('INVALID_PARAMETER', `${field} ${error.message ?? 'is invalid'}`)
}

/**
 * The validation error a client should read. Ajv tries each branch of a union (anyOf) and
 * lists each branch's first error. A branch that failed only on a missing field is the kind
 * the client did not mean (a data write "lacks" a fill write's length), so a deeper error of
 * another branch, on a field the client did send, names the problem.
 */
function errorToName (errors: FastifySchemaValidationError[]): FastifySchemaValidationError | undefined {
  const first = errors[0]
  if (first?.keyword !== 'required') return first
  return errors.find((e) => e.keyword !== 'required' && e.keyword !== 'anyOf' && e.instancePath.startsWith(`${first.instancePath}/`)) ?? first
}

/** The CdpError a failed request is answered with; undefined for a bug. */
export function toCdpError (error: FastifyError, request: FastifyRequest): CdpError | undefined {
  if (isCdpError(error)) return error
  const named = errorToName(error.validation ?? [])
  if (named !== undefined) return validationError(named, error.validationContext ?? 'request', request)
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CdpError('BODY_TOO_LARGE', error.message)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CdpError('UNSUPPORTED_MEDIA_TYPE', `content type ${JSON.stringify(request.headers['content-type'] ?? '')} is not supported`)
  }
  // Fastify's other request errors (bad content-length, malformed url, …) are 4xx of its own.
  const status = error.statusCode ?? 500
  if (status >= 400 && status < 500) return new CdpError('INVALID_PARAMETER', error.message)
  return undefined
}

/**
 * Ends the request's connection with no answer at all, as a crashed peer or a broken network
 * would (the simulator's `drop` fault rules throw it): the client sees its socket reset.
 */
export class DropConnection extends Error {
  override readonly name = 'DropConnection'
  constructor () {
    super('connection dropped on purpose')
  }
}

export async function handleError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  if (error instanceof DropConnection) {
    reply.hijack()
    request.raw.socket.resetAndDestroy()
    return reply
  }
  const cdpError = toCdpError(error, request) ?? new CdpError('INTERNAL')
  if (cdpError.code === 'INTERNAL') request.log.error({ err: error }, 'request failed')
  request.scode = cdpError.entry.scode
  return reply.code(cdpError.entry.status).send(failed(cdpError, null))
}

/**
 * No route for this method and path: 405 with an `Allow` header when the path has routes
 * for other methods (`allowed`), else 404.
 */
export async function handleNotFound (request: FastifyRequest, reply: FastifyReply, allowed: readonly string[] = []): Promise<unknown> {
  const where = `${request.method} ${request.url.split('?')[0] ?? ''}`
  const error = allowed.length === 0
    ? new CdpError('ROUTE_NOT_FOUND', where)
    : new CdpError('METHOD_NOT_ALLOWED', `${where}: allowed ${allowed.join(', ')}`)
  if (allowed.length > 0) void reply.header('allow', allowed.join(', '))
  request.scode = error.entry.scode
  return reply.code(error.entry.status).send(failed(error, null))
}
