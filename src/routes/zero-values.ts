// Clients typed from the spec (Go or Java structs) send every field they have, an unused
// optional string as "". For the optional strings that only narrow or label a call, ""
// means the same as leaving the field out, in bodies, batch volumes and querystrings.
// A list they did not fill is `null` (Go's nil slice), so a `null` `volumes` is absent too, and
// an empty one beside a `vm_uuid` (a group named by its VM) is the unused field it is.
// Nothing destructive is guessed from a zero value: `usd_seq` has none (0 is a segment,
// null is refused), so a whole clean is asked for only by leaving `usd_seq` out.
import type { FastifyRequest } from 'fastify'

/** The spec's optional strings (否 in its tables) whose "" is taken as absent. */
export const ABSENT_WHEN_EMPTY = ['tenant', 'volume_name', 'filter_name', 'vm_uuid', 'page_token'] as const

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
  const { body } = request
  if (!isRecord(body)) return
  const { volumes } = body
  if (volumes === null || (Array.isArray(volumes) && volumes.length === 0 && typeof body.vm_uuid === 'string')) delete body.volumes
  if (Array.isArray(body.volumes)) body.volumes.forEach(dropEmpty)
}
