// Changed blocks: the byte extents whose content differs between two recoverable points of a
// volume. A block's image at a time is its newest journal row at or before it, else the base
// (point-in-time.ts), so only blocks journaled after `from` and at or before `to` can differ:
// the cost follows the journal between the two points, not the volume's size. Tokens are
// content ids, so equal tokens are equal bytes and a block rewritten to its old content at
// `to` does not count.
import type { ChangesPage, ChangesQuery, Ns } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { BLOCK_BYTES } from './content.js'
import { requireRecoverable } from './point-in-time.js'
import type { Sql } from './sql.js'

/**
 * Per block journaled in (from, to] from block `start` on, in block order: its token at `to`
 * (its newest row there: ids rise with time) and at `from`. `+block` keeps SQLite on the
 * time index (the rows between the two points); on the block index it would walk the
 * volume's whole journal from `start`.
 */
const TOUCHED = `
  SELECT t.block, t.token AS at_to,
    coalesce(
      (SELECT j.token FROM journal j WHERE j.volume_id = @volume AND j.block = t.block AND j.time <= @from
        ORDER BY j.time DESC, j.id DESC LIMIT 1),
      (SELECT b.token FROM base_block b WHERE b.volume_id = @volume AND b.block = t.block),
      0) AS at_from
  FROM (SELECT block, token, max(id) FROM journal
    WHERE volume_id = @volume AND time > @from AND time <= @to AND +block >= @start GROUP BY block) t
  ORDER BY t.block`

export function changedExtents (sql: Sql, volumeId: bigint, query: ChangesQuery, now: Ns): ChangesPage {
  if (query.from > query.to) throw new CdpError('CHANGES_FROM_AFTER_TO', `from ${query.from} is after to ${query.to}`)
  requireRecoverable(sql, volumeId, query.from, now)
  requireRecoverable(sql, volumeId, query.to, now)
  const extents: ChangesPage['extents'] = []
  // Blocks are int64 in SQLite: a start past the last one finds nothing.
  const start = (query.start + BLOCK_BYTES - 1n) / BLOCK_BYTES
  if (start > BigInt.asUintN(63, -1n)) return { extents, next: null }
  const rows = sql.prepare(TOUCHED).iterate({ volume: volumeId, from: query.from, to: query.to, start })
  let end = -1n
  for (const row of rows) {
    const { block, at_to: atTo, at_from: atFrom } = row as { block: bigint, at_to: bigint, at_from: bigint }
    if (atTo === atFrom) continue
    const last = extents.at(-1)
    if (last !== undefined && block === end) {
      last.length += BLOCK_BYTES
    } else {
      if (extents.length === query.limit) {
        // Leaving the loop ends the statement: the next page starts at this block.
        return { extents, next: block * BLOCK_BYTES }
      }
      extents.push({ offset: block * BLOCK_BYTES, length: BLOCK_BYTES })
    }
    end = block + 1n
  }
  return { extents, next: null }
}
