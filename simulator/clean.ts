// Clean: the whole CDP (journal, snapshots, segments, policy and reservation), or one closed
// segment and its points.
import type { Ns } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { releaseReservation } from './admission.js'
import type { CdpRow } from './cdp.js'
import { BLOCK_BYTES } from './content.js'
import { recordEvent } from './events.js'
import { unjournal } from './journal.js'
import { fold } from './retention.js'
import type { Sql } from './sql.js'
import { hasView } from './view.js'

export function cleanCdp (sql: Sql, cdp: CdpRow, now: Ns): void {
  if (cdp.state === 'on') throw new CdpError('CDP_IS_ON', 'disable CDP before deleting it')
  if (hasView(sql, cdp.volume_id)) throw new CdpError('VIEW_IS_ON', 'turn the view off before deleting CDP')
  for (const table of ['journal', 'base_block', 'snapshot', 'segment', 'unjournaled_block']) {
    sql.run(`DELETE FROM ${table} WHERE volume_id = ?`, cdp.volume_id)
  }
  sql.run('UPDATE live_block SET journaled_at = NULL WHERE volume_id = ?', cdp.volume_id)
  releaseReservation(sql, cdp)
  sql.run('DELETE FROM cdp WHERE volume_id = ?', cdp.volume_id)
  recordEvent(sql, cdp.volume_id, now, 'cdp_cleaned')
}

/**
 * Deletes one closed segment and its points. Later segments replay on top of its writes,
 * so those are kept in a compact form: folded into the base when it is the oldest,
 * otherwise its last write per block carried into the next segment.
 */
export function cleanSegment (sql: Sql, volumeId: bigint, seq: bigint, now: Ns): void {
  // Seqs are SQLite int64 counting up from 0: a uint64 past that names no segment.
  const segment = BigInt.asIntN(64, seq) !== seq
    ? undefined
    : sql.get<{ start_time: bigint, end_time: bigint | null }>('SELECT start_time, end_time FROM segment WHERE volume_id = ? AND seq = ?', volumeId, seq)
  if (segment === undefined) throw new CdpError('SEGMENT_NOT_FOUND', `usd_seq ${seq}`)
  if (segment.end_time === null) throw new CdpError('SEGMENT_ACTIVE', `usd_seq ${seq} is being written; disable CDP first`)
  if (sql.get('SELECT 1 AS ok FROM view WHERE volume_id = ? AND seq = ?', volumeId, seq) !== undefined) {
    throw new CdpError('VIEW_IS_ON', `a view is exposed from usd_seq ${seq}`)
  }
  const previous = sql.get<{ seq: bigint, end_time: bigint }>(
    'SELECT seq, end_time FROM segment WHERE volume_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1', volumeId, seq)
  const next = sql.get<{ seq: bigint, start_time: bigint }>('SELECT seq, start_time FROM segment WHERE volume_id = ? AND seq > ? ORDER BY seq LIMIT 1', volumeId, seq)
  sql.run('DELETE FROM snapshot WHERE volume_id = ? AND seq = ?', volumeId, seq)
  if (previous === undefined) {
    fold(sql, volumeId, segment.end_time)
  } else {
    // Rows in the very ns the previous segment ended (one write call split by a full
    // segment) are part of its last point's image: they move back to it, else cleaning
    // this segment would tear that image.
    const kept = sql.run('UPDATE journal SET seq = ? WHERE volume_id = ? AND seq = ? AND time = ?', previous.seq, volumeId, seq, previous.end_time)
    receiveRows(sql, volumeId, previous.seq, kept, previous.end_time)
    if (next !== undefined) {
      // The newest row per block (max id, so newest time) moves on, timed at the next
      // segment's start: every time still recoverable sees the same image (before the
      // cleaned segment none of its rows counted, from the next start all of them did), and
      // the next segment's rows stay inside its own times.
      const moved = sql.run(`UPDATE journal SET seq = ?, time = ? WHERE id IN (
        SELECT max(id) FROM journal WHERE volume_id = ? AND time BETWEEN ? AND ? AND seq = ? GROUP BY block)`,
      next.seq, next.start_time, volumeId, segment.start_time, segment.end_time, seq)
      receiveRows(sql, volumeId, next.seq, moved, next.start_time)
    } else {
      // The newest segment goes: the journal's end falls back to the previous one's, so
      // the blocks it wrote are live content the journal no longer holds.
      unjournal(sql, volumeId, (sql.prepare('SELECT DISTINCT block FROM journal WHERE volume_id = ? AND time BETWEEN ? AND ? AND seq = ?')
        .pluck().all(volumeId, segment.start_time, segment.end_time, seq) as bigint[]).map(Number))
    }
    sql.run('DELETE FROM journal WHERE volume_id = ? AND time BETWEEN ? AND ? AND seq = ?', volumeId, segment.start_time, segment.end_time, seq)
  }
  sql.run('DELETE FROM segment WHERE volume_id = ? AND seq = ?', volumeId, seq)
  recordEvent(sql, volumeId, now, 'segment_cleaned', { seq, from: segment.start_time, to: segment.end_time })
}

/** A segment given `rows` journal rows at `time`: its use and io times count them. */
function receiveRows (sql: Sql, volumeId: bigint, seq: bigint, rows: number, time: bigint): void {
  if (rows === 0) return
  sql.run(`UPDATE segment SET use = use + ?, io_start_time = min(coalesce(io_start_time, ?), ?),
      io_last_time = max(coalesce(io_last_time, ?), ?) WHERE volume_id = ? AND seq = ?`,
  BigInt(rows) * BLOCK_BYTES, time, time, time, time, volumeId, seq)
}
