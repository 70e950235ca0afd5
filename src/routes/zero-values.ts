// Clients typed from the spec (Go or Java structs) send every field they have, an unused
// optional string as "". For the optional strings that only narrow or label a call, ""
// means the same as leaving the field out, in bodies, batch volumes and querystrings.
// Nothing destructive is guessed from a zero value: `usd_seq` has none (0 is a segment,
// null is refused), so a whole clean is asked for only by leaving `usd_seq` out.
import type { FastifyRequest } from 'fastify'

/** The spec's optional strings (否 in its tables) whose "" is taken as absent. */
export const ABSENT_WHEN_EMPTY = ['tenant', 'volume_name', 'filter_name'] as const

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function dropEmpty (fields: unknown): void {
  if (!isRecord(fields)) return
  for (const name of ABSENT_WHEN_EMPTY) {
    if (fields[name] === '') delete fields[name]
  }
}

/** preValidation: the zero values above are removed before the schema sees the request. */
export async function dropZeroValues (request: FastifyRequest): Promise<void> {
  dropEmpty(request.query)
  dropEmpty(request.body)
  const volumes = isRecord(request.body) ? request.body.volumes : undefined
  if (Array.isArray(volumes)) volumes.forEach(dropEmpty)
}
