// Auto snapshots: the points a time may be replayed from. While CDP is on one falls due every
// interval, and each segment opens with one; names carry whole seconds, so at most one a second
// in a segment.
import { NS_PER_SECOND, type Ns } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import type { CdpRow } from './cdp.js'
import { MAX_TIME } from './clock.js'
import { recordEvent } from './events.js'
import type { Sql } from './sql.js'

/** An auto snapshot is named for the whole second it was taken in. */
export const snapshotName = (time: Ns): string => `CDP-auto-${time / NS_PER_SECOND}`

/** When the next auto snapshot is due; null (never) past the last time the clock can reach. */
const dueOrNever = (time: Ns): Ns | null => time > MAX_TIME ? null : time

/**
 * Takes the snapshots that fell due by `now`, skipping ticks already before `cut` (retention
 * would drop them at once); returns the volume's oldest snapshot time afterwards.
 */
export function takeDueSnapshots (sql: Sql, cdp: CdpRow, now: Ns, interval: Ns, cut: Ns): Ns | null {
  let oldest = cdp.oldest_snapshot
  if (cdp.state !== 'on' || cdp.next_snapshot === null || cdp.next_snapshot > now) return oldest
  let due = cdp.next_snapshot
  if (due < cut) due += ((cut - due + interval - 1n) / interval) * interval
  for (; due <= now; due += interval) {
    const taken = sql.run('INSERT OR IGNORE INTO snapshot (volume_id, name, seq, time) VALUES (?, ?, ?, ?)',
      cdp.volume_id, snapshotName(due), cdp.active_seq, due)
    if (taken > 0) recordEvent(sql, cdp.volume_id, due, 'auto_snapshot', { seq: cdp.active_seq, to: due })
    if (oldest === null) oldest = due
  }
  sql.run('UPDATE cdp SET next_snapshot = ? WHERE volume_id = ?', dueOrNever(due), cdp.volume_id)
  return oldest
}

/**
 * A new segment's first snapshot is due at its opening, so it is recoverable from its start,
 * even in the second of an earlier segment's snapshot (names are unique per segment).
 */
export function scheduleFirstSnapshot (sql: Sql, volumeId: bigint, now: Ns): void {
  sql.run('UPDATE cdp SET next_snapshot = ? WHERE volume_id = ?', now, volumeId)
}

/** While CDP is off no snapshot is due. */
export function stopSnapshots (sql: Sql, volumeId: bigint): void {
  sql.run('UPDATE cdp SET next_snapshot = NULL WHERE volume_id = ?', volumeId)
}

/**
 * An auto snapshot at `now`, asked for by a test harness rather than the interval: false when
 * the active segment already has one in this second (names carry whole seconds).
 */
export function takeSnapshotNow (sql: Sql, cdp: CdpRow, now: Ns): { name: string, time: Ns, taken: boolean } {
  if (cdp.state !== 'on' || cdp.active_seq === null) throw new CdpError('CDP_IS_OFF', 'only a journal that records can be snapshotted')
  const name = snapshotName(now)
  const existing = sql.get<{ time: Ns }>('SELECT time FROM snapshot WHERE volume_id = ? AND seq = ? AND name = ?', cdp.volume_id, cdp.active_seq, name)
  if (existing !== undefined) return { name, time: existing.time, taken: false }
  sql.run('INSERT INTO snapshot (volume_id, name, seq, time) VALUES (?, ?, ?, ?)', cdp.volume_id, name, cdp.active_seq, now)
  return { name, time: now, taken: true }
}
