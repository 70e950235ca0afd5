// The journal: while CDP is on, every block write is also a journal row (time, block, token)
// in the active segment; a full segment closes and the next seq opens. Enable opens a
// segment, disable closes it, and an enable journals what changed while CDP was off.
import type { Ns } from '../src/backend/port.js'
import { scheduleFirstSnapshot, stopSnapshots } from './auto-snapshots.js'
import { catchUp } from './catch-up.js'
import { type CdpRow, requireCdp } from './cdp.js'
import { MAX_TIME } from './clock.js'
import { BLOCK_BYTES, type BlockChange } from './content.js'
import { isRecording } from './disk-faults.js'
import { recordEvent } from './events.js'
import type { Cadence } from './options.js'
import { differencesAt } from './point-in-time.js'
import { rowInserter, type Sql } from './sql.js'

const insertLive = rowInserter('INSERT INTO live_block (volume_id, block, token, journaled_at) VALUES',
  'ON CONFLICT DO UPDATE SET token = excluded.token, journaled_at = excluded.journaled_at', 4)
const insertJournal = rowInserter('INSERT INTO journal (volume_id, seq, time, block, token) VALUES', '', 5)

/** Turns CDP on (the caller knows it is off). */
export function enableCdp (sql: Sql, cdp: CdpRow, now: Ns, cadence: Cadence): void {
  catchUp(sql, cdp, now, cadence.snapshotInterval)
  // A journal that never recorded holds none of the volume: all of it is new to it.
  const firstTime = cdp.next_seq === 0n
  sql.run('UPDATE cdp SET state = \'on\', on_since = ? WHERE volume_id = ?', now, cdp.volume_id)
  recordEvent(sql, cdp.volume_id, now, 'enabled')
  openSegment(sql, requireCdp(sql, cdp.volume_id), now, cadence.segmentCapacity)
  journalChangesWhileOff(sql, cdp.volume_id, now, cadence.segmentCapacity, firstTime)
  catchUp(sql, requireCdp(sql, cdp.volume_id), now, cadence.snapshotInterval)
}

/** Turns CDP off (the caller knows it is on). */
export function disableCdp (sql: Sql, cdp: CdpRow, now: Ns, cadence: Cadence): void {
  catchUp(sql, cdp, now, cadence.snapshotInterval)
  sql.run('UPDATE segment SET end_time = ? WHERE volume_id = ? AND end_time IS NULL', now, cdp.volume_id)
  sql.run('UPDATE cdp SET state = \'off\', on_since = NULL WHERE volume_id = ?', cdp.volume_id)
  recordEvent(sql, cdp.volume_id, now, 'segment_closed', { seq: cdp.active_seq })
  recordEvent(sql, cdp.volume_id, now, 'disabled')
  stopSnapshots(sql, cdp.volume_id)
}

function openSegment (sql: Sql, cdp: CdpRow, now: Ns, segmentCapacity: bigint): void {
  const capacity = cdp.reserve_capacity < segmentCapacity ? cdp.reserve_capacity : segmentCapacity
  sql.run('INSERT INTO segment (volume_id, seq, disk_id, capacity, start_time) VALUES (?, ?, ?, ?, ?)',
    cdp.volume_id, cdp.next_seq, cdp.disk_id, capacity, now)
  sql.run('UPDATE cdp SET next_seq = next_seq + 1 WHERE volume_id = ?', cdp.volume_id)
  recordEvent(sql, cdp.volume_id, now, 'segment_opened', { seq: cdp.next_seq })
  scheduleFirstSnapshot(sql, cdp.volume_id, now)
}

/** Applies block changes to the live volume, journaling them when CDP is on; `cdp` is the volume's CDP as the change found it. */
export function applyWrite (sql: Sql, volumeId: bigint, cdp: CdpRow | undefined, changes: BlockChange[], now: Ns, cadence: Cadence): void {
  const last = new Map<number, number>()
  for (const { block, token } of changes) last.set(block, token)
  // While CDP is off, or its disk (disk-faults.ts) is failed or full, the journal records
  // nothing: the live content alone changes, and the block waits for the next enable or heal.
  const recording = cdp !== undefined && cdp.state === 'on' && isRecording(sql, cdp.disk_id)
  const journaledAt = recording ? now : null
  const live: unknown[] = []
  for (const [block, token] of last) live.push(volumeId, block, token, journaledAt)
  insertLive(sql, live)
  if (cdp === undefined) return
  if (!recording) {
    markUnjournaled(sql, volumeId, last.keys())
    catchUp(sql, cdp, now, cadence.snapshotInterval)
    return
  }
  // Ticks due before this write belong to the segment active then: taken before a roll
  // reschedules the next to the new segment's start (which is also a tick due at now). Only a
  // real clock gets here with one due: a manual clock's advance takes them.
  const current = cdp.next_snapshot !== null && cdp.next_snapshot < now ? caughtUp(sql, cdp, now, cadence) : cdp
  catchUp(sql, appendJournal(sql, current, last, now, cadence.segmentCapacity), now, cadence.snapshotInterval)
}

function caughtUp (sql: Sql, cdp: CdpRow, now: Ns, cadence: Cadence): CdpRow {
  catchUp(sql, cdp, now, cadence.snapshotInterval)
  return requireCdp(sql, cdp.volume_id)
}

/** Journals the changes at `now` in the active segment, opening the next when one is full; returns the CDP as it now is. */
function appendJournal (sql: Sql, cdp: CdpRow, changes: Map<number, number>, now: Ns, segmentCapacity: bigint): CdpRow {
  // Every caller journals into CDP that is on (a write that records, an enable after its
  // segment opened, a heal of the active segment's disk), and CDP on has an active segment,
  // read in the same row as `cdp`: no history gets here without one.
  const segment = { seq: cdp.active_seq as bigint, use: cdp.active_use as bigint, capacity: cdp.active_capacity as bigint, added: 0n }
  const rows: unknown[] = []
  let total = 0n
  let rolled = false
  // io times are those of the segment's rows: a segment given none keeps them as they were.
  const flush = (): void => {
    if (segment.added === 0n) return
    insertJournal(sql, rows)
    rows.length = 0
    sql.run(`UPDATE segment SET use = use + ?, io_start_time = coalesce(io_start_time, ?), io_last_time = ?
      WHERE volume_id = ? AND seq = ?`, segment.added, now, now, cdp.volume_id, segment.seq)
    total += segment.added
  }
  for (const [block, token] of changes) {
    const used = segment.use + segment.added
    if (used > 0n && used + BLOCK_BYTES > segment.capacity) {
      flush()
      sql.run('UPDATE segment SET end_time = ? WHERE volume_id = ? AND seq = ?', now, cdp.volume_id, segment.seq)
      recordEvent(sql, cdp.volume_id, now, 'segment_closed', { seq: segment.seq })
      openSegment(sql, requireCdp(sql, cdp.volume_id), now, segmentCapacity)
      const opened = requireCdp(sql, cdp.volume_id)
      Object.assign(segment, { seq: opened.active_seq, use: 0n, capacity: opened.active_capacity, added: 0n })
      rolled = true
    }
    rows.push(cdp.volume_id, segment.seq, now, block, token)
    segment.added += BLOCK_BYTES
  }
  flush()
  return rolled ? requireCdp(sql, cdp.volume_id) : { ...cdp, use: cdp.use + total, active_use: segment.use + segment.added }
}

/**
 * Journals what changed while CDP was off, or its disk could not record (the live image
 * against the journal's newest image), so that points after an enable or a heal replay to
 * the right content. Only the blocks written since (unjournaled_block) can differ, unless
 * the journal never recorded (`everyBlock`): the cost is what changed, not the volume.
 */
export function journalChangesWhileOff (sql: Sql, volumeId: bigint, now: Ns, segmentCapacity: bigint, everyBlock = false): void {
  const candidates = sql.prepare(everyBlock
    ? 'SELECT block FROM live_block WHERE volume_id = ? ORDER BY block'
    : 'SELECT block FROM unjournaled_block WHERE volume_id = ? ORDER BY block').pluck().all(volumeId) as bigint[]
  const changed = new Map<number, number>()
  for (const { block, live } of differencesAt(sql, volumeId, MAX_TIME, candidates.map(Number))) changed.set(block, live)
  // Changed or not, the journal's newest image of each candidate is now its live content:
  // one statement over the same candidates, before their list goes.
  if (everyBlock) sql.run('UPDATE live_block SET journaled_at = ? WHERE volume_id = ?', now, volumeId)
  else {
    sql.run(`UPDATE live_block SET journaled_at = ? WHERE volume_id = ?
      AND block IN (SELECT block FROM unjournaled_block WHERE volume_id = ?)`, now, volumeId, volumeId)
  }
  sql.run('DELETE FROM unjournaled_block WHERE volume_id = ?', volumeId)
  if (changed.size > 0) appendJournal(sql, requireCdp(sql, volumeId), changed, now, segmentCapacity)
}

/** Blocks whose live content the journal may not hold until CDP is next enabled. */
export function markUnjournaled (sql: Sql, volumeId: bigint, blocks: Iterable<number>): void {
  const mark = sql.prepare('INSERT OR IGNORE INTO unjournaled_block (volume_id, block) VALUES (?, ?)')
  for (const block of blocks) mark.run(volumeId, block)
}

/** Blocks whose journaled live content the journal lost (its newest segment cleaned): unjournaled again. */
export function unjournal (sql: Sql, volumeId: bigint, blocks: number[]): void {
  markUnjournaled(sql, volumeId, blocks)
  const lost = sql.prepare('UPDATE live_block SET journaled_at = NULL WHERE volume_id = ? AND block = ?')
  for (const block of blocks) lost.run(volumeId, block)
}

/**
 * The blocks whose content may have changed after `time`, in block order: those journaled
 * after it and those written since CDP went off. A point's image differs from the live one
 * only there.
 */
export function blocksChangedSince (sql: Sql, volumeId: bigint, time: Ns): number[] {
  // Two queries: as one UNION, SQLite reads the journal in block order, all of it.
  const blocks = new Set<bigint>(sql.prepare('SELECT block FROM journal WHERE volume_id = ? AND time > ?').pluck().all(volumeId, time) as bigint[])
  for (const block of sql.prepare('SELECT block FROM unjournaled_block WHERE volume_id = ?').pluck().all(volumeId) as bigint[]) blocks.add(block)
  return Array.from(blocks, Number).sort((a, b) => a - b)
}
