// Retention: snapshots older than reserve_duration go (or as many oldest as it takes to bring
// journal use under reserve_capacity), and every journal row up to the oldest remaining
// snapshot is folded into the base image. A fold costs what it removes.
// An active view pins its point: nothing past it is folded, and capacity waits (the rows the
// view holds count in use, which may pass reserve_capacity) until the view goes off; the
// next catch-up then folds what the limits say.
import { NS_PER_SECOND, type Ns } from '../src/backend/port.js'
import { type CdpRow, fromStored } from './cdp.js'
import { BLOCK_BYTES } from './content.js'
import { recordEvent } from './events.js'
import type { Sql } from './sql.js'

/** The oldest time reserve_duration still keeps at `now`. */
export const durationCut = (cdp: CdpRow, now: Ns): Ns => now - fromStored(cdp.reserve_duration) * NS_PER_SECOND

/** Applies both limits, given the volume's oldest snapshot (`oldest`) after any that fell due. */
export function applyRetention (sql: Sql, cdp: CdpRow, oldest: Ns | null, now: Ns): void {
  const cut = durationCut(cdp, now)
  const pin = cdp.view_time
  const overCapacity = pin === null && cdp.use > cdp.reserve_capacity
  // History before the oldest snapshot can no longer be a base: it is folded. With no
  // snapshot at all, nothing up to now can be.
  if (!overCapacity && oldest !== null && oldest >= cut && oldest <= cdp.base_time) return
  let dropBefore = cut
  let byCapacity = false
  if (overCapacity) {
    const foldPoint = capacityFoldPoint(sql, cdp.volume_id, cdp.use - cdp.reserve_capacity)
    if (foldPoint > dropBefore) [dropBefore, byCapacity] = [foldPoint, true]
  }
  const oldestBefore = oldest
  if (oldest !== null && oldest < dropBefore) {
    sql.run('DELETE FROM snapshot WHERE volume_id = ? AND time < ?', cdp.volume_id, dropBefore)
    oldest = sql.get<{ time: bigint | null }>('SELECT min(time) AS time FROM snapshot WHERE volume_id = ?', cdp.volume_id)?.time ?? null
  }
  const oldestPoint = oldest ?? now
  const foldTo = pin !== null && pin < oldestPoint ? pin : oldestPoint
  // Rows can sit at base_time itself (journaled in the ns of the last fold, or of the
  // CDP's creation): over capacity, those must fold too.
  if (foldTo > cdp.base_time || (overCapacity && foldTo === cdp.base_time)) fold(sql, cdp.volume_id, foldTo)
  if (oldest !== oldestBefore || byCapacity) recordTrim(sql, cdp, byCapacity, oldestBefore ?? cdp.base_time, oldestPoint, now)
}

/** A trim that cost points (or, by capacity, journal): how much went, and the new oldest point. */
function recordTrim (sql: Sql, cdp: CdpRow, byCapacity: boolean, from: Ns, to: Ns, now: Ns): void {
  const use = sql.get<{ use: bigint }>('SELECT coalesce(sum(use), 0) AS use FROM segment WHERE volume_id = ?', cdp.volume_id)?.use ?? 0n
  recordEvent(sql, cdp.volume_id, now, byCapacity ? 'trimmed_by_capacity' : 'trimmed_by_duration', { from, to, bytes: cdp.use - use })
}

/** The newest time to fold through so that `excess` journal bytes go, whole instants at a time. */
function capacityFoldPoint (sql: Sql, volumeId: bigint, excess: bigint): Ns {
  let removed = 0n
  let foldPoint = 0n
  for (const row of sql.prepare('SELECT time FROM journal WHERE volume_id = ? ORDER BY time, id').iterate(volumeId)) {
    const time = (row as { time: bigint }).time
    if (removed >= excess && time !== foldPoint) break
    removed += BLOCK_BYTES
    foldPoint = time
  }
  return foldPoint
}

/** Folds every journal row at or before `to` into the base; costs what it removes. */
export function fold (sql: Sql, volumeId: bigint, to: Ns): void {
  const upsert = sql.prepare('INSERT INTO base_block (volume_id, block, token) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET token = excluded.token')
  const removedBySeq = new Map<bigint, bigint>()
  const rows = sql.all<{ seq: bigint, block: bigint, token: bigint }>(
    'SELECT seq, block, token FROM journal WHERE volume_id = ? AND time <= ? ORDER BY time, id', volumeId, to)
  for (const { seq, block, token } of rows) {
    upsert.run(volumeId, block, token)
    removedBySeq.set(seq, (removedBySeq.get(seq) ?? 0n) + BLOCK_BYTES)
  }
  if (rows.length > 0) sql.run('DELETE FROM journal WHERE volume_id = ? AND time <= ?', volumeId, to)
  for (const [seq, bytes] of removedBySeq) {
    sql.run('UPDATE segment SET use = use - ? WHERE volume_id = ? AND seq = ?', bytes, volumeId, seq)
  }
  sql.run('UPDATE cdp SET base_time = ? WHERE volume_id = ?', to, volumeId)
  // A closed segment with nothing left to recover from or replay is gone.
  sql.run(`DELETE FROM segment WHERE volume_id = ? AND end_time IS NOT NULL AND use = 0
    AND NOT EXISTS (SELECT 1 FROM snapshot s WHERE s.volume_id = segment.volume_id AND s.seq = segment.seq)`, volumeId)
  sql.run('UPDATE segment SET start_time = ? WHERE volume_id = ? AND start_time < ?', to, volumeId, to)
  // io times stay those of the rows left: none, none; else the first row after the fold point.
  sql.run(`UPDATE segment SET
      io_start_time = CASE WHEN use = 0 THEN NULL ELSE
        (SELECT min(time) FROM journal j WHERE j.volume_id = segment.volume_id AND j.time > ? AND j.seq = segment.seq) END,
      io_last_time = CASE WHEN use = 0 THEN NULL ELSE io_last_time END
    WHERE volume_id = ? AND io_start_time <= ?`, to, volumeId, to)
}
