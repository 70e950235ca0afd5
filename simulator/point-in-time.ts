// Points in time: the image at any recoverable time (per block, the newest journal row at or
// before it, else the base), which times are recoverable, and how a (snapshot, timestamp)
// pair is checked before a view or a revert uses it.
import type { Ns, PointInTime } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { BLOCK_SIZE, type BlockChange, type Token } from './content.js'
import type { RecoverableRange } from './control.js'
import { diskFaultSql, type FaultSpan, faultSpansOf, requireRecorded, withoutFaults } from './disk-faults.js'
import type { Sql } from './sql.js'

/** Where a point in time lives once checked against the journal. */
export interface ResolvedPoint {
  seq: bigint
  time: Ns
  hostId: bigint
  hostUuid: string
}

/** Blocks first ≤ block < end. */
export interface BlockRange { first: number, end: number }

/**
 * A block's token at a time (the first two `?`, both that time): its newest journal row at or
 * before it, else the base, else zeros. A block whose live content was journaled at or before
 * that time has had no write since, so that row is the newest: the live token answers without
 * a journal lookup (most blocks of a recent point, which is what a view reads).
 */
const TOKEN_AT = `CASE WHEN l.journaled_at <= ? THEN l.token ELSE coalesce(
  (SELECT j.token FROM journal j WHERE j.volume_id = l.volume_id AND j.block = l.block AND j.time <= ?
    ORDER BY j.time DESC, j.id DESC LIMIT 1),
  (SELECT b.token FROM base_block b WHERE b.volume_id = l.volume_id AND b.block = l.block),
  0) END`

/** The image at `time`, block by block, over every block the volume has ever written: an index lookup per block. */
export function * imageAt (sql: Sql, volumeId: bigint, time: Ns): Generator<BlockChange> {
  const rows = sql.prepare(`SELECT l.block, ${TOKEN_AT} AS token
    FROM live_block l WHERE l.volume_id = ? ORDER BY l.block`).iterate(time, time, volumeId)
  for (const row of rows) {
    const { block, token } = row as { block: bigint, token: bigint }
    yield { block: Number(block), token: Number(token) }
  }
}

/** Of `blocks`, those whose live content is not the image's at `time`: both tokens, an index lookup per block. */
export function differencesAt (sql: Sql, volumeId: bigint, time: Ns, blocks: Iterable<number>): Array<{ block: number, live: Token, at: Token }> {
  const tokens = sql.prepare(`SELECT l.token AS live, ${TOKEN_AT} AS at FROM live_block l WHERE l.volume_id = ? AND l.block = ?`)
  const differences: Array<{ block: number, live: Token, at: Token }> = []
  for (const block of blocks) {
    const row = tokens.get(time, time, volumeId, block) as { live: bigint, at: bigint } | undefined
    if (row !== undefined && row.live !== row.at) differences.push({ block, live: Number(row.live), at: Number(row.at) })
  }
  return differences
}

/** The volume's content now, block → token. */
export function liveImage (sql: Sql, volumeId: bigint): Map<number, number> {
  const rows = sql.all<{ block: bigint, token: bigint }>('SELECT block, token FROM live_block WHERE volume_id = ? ORDER BY block', volumeId)
  return new Map(rows.map((r) => [Number(r.block), Number(r.token)]))
}

/** Consecutive blocks first…first+count-1. */
export interface BlockRun { first: number, count: number }

/** A block's token at `time`, or now when it is undefined, with the query parameters it takes (before any other). */
function tokenAt (time: Ns | undefined): { token: string, params: Ns[] } {
  return time === undefined ? { token: 'l.token', params: [] } : { token: TOKEN_AT, params: [time, time] }
}

/** The runs of blocks within `range` that are not zeros at `time` (undefined: now), ascending, in one query. */
export function allocatedRuns (sql: Sql, volumeId: bigint, range: BlockRange, time?: Ns): BlockRun[] {
  const { token, params } = tokenAt(time)
  // Plain numbers (a block number is far below 2^53): a BigInt per block costs more than the join.
  const blocks = sql.prepare(`SELECT l.block FROM live_block l WHERE ${token} <> 0 AND l.volume_id = ? AND l.block >= ? AND l.block < ? ORDER BY l.block`)
    .pluck().safeIntegers(false).all(...params, volumeId, range.first, range.end) as number[]
  // Joined here, not in SQL: a window function and GROUP BY over the blocks cost more than the query.
  const runs: BlockRun[] = []
  let last: BlockRun | undefined
  for (const block of blocks) {
    if (last !== undefined && last.first + last.count === block) last.count++
    else runs.push(last = { first: block, count: 1 })
  }
  return runs
}

/**
 * The bytes of the image within `range` at `time` (undefined: now). One query answers the
 * stored blocks of the range as one blob, in block order: a row per 4 KiB block would cost
 * better-sqlite3 a Buffer each (and the collector its work), several times what SQLite spends
 * on it. The subquery's ORDER BY is the index's order, so nothing is sorted, and SQLite keeps
 * it for the aggregate above (a subquery with ORDER BY under an aggregate is not flattened).
 * When the range has holes, its allocated runs say where the stored blocks go.
 */
export function imageBytes (sql: Sql, volumeId: bigint, range: BlockRange, time?: Ns): Buffer {
  const { token, params } = tokenAt(time)
  const stored = sql.get<{ count: bigint, data: Buffer | null }>(`SELECT count(*) AS count, CAST(group_concat(data, '') AS BLOB) AS data FROM (
      SELECT c.data FROM live_block l JOIN content c ON c.id = ${token}
      WHERE l.volume_id = ? AND l.block >= ? AND l.block < ? ORDER BY l.block)`, ...params, volumeId, range.first, range.end)!
  const blocks = range.end - range.first
  if (stored.data !== null && Number(stored.count) === blocks) return stored.data
  const image = Buffer.alloc(blocks * BLOCK_SIZE)
  if (stored.data === null) return image
  let from = 0
  for (const run of allocatedRuns(sql, volumeId, range, time)) {
    const bytes = run.count * BLOCK_SIZE
    stored.data.copy(image, (run.first - range.first) * BLOCK_SIZE, from, from + bytes)
    from += bytes
  }
  return image
}

/** A journal segment's span, whether its host is online and its disk failed now, and its oldest snapshot (null: none). */
export interface SegmentSpan { seq: bigint, start: Ns, end: Ns | null, online: boolean, diskFailed: boolean, diskId: bigint, first: Ns | null }

/**
 * The volume's segments in seq order. A segment's snapshots are taken while it is active, so
 * they lie inside its span: its first is one seek of snapshot_by_time from its start (a
 * grouped pass over all the volume's snapshots cost 40 ms at 100 segments × 100,000).
 */
export function segmentSpans (sql: Sql, volumeId: bigint, now: Ns): SegmentSpan[] {
  return sql.all<{ seq: bigint, start: Ns, end: Ns | null, online: bigint, disk_failed: bigint, disk_id: bigint, first: Ns | null }>(`
    SELECT s.seq, s.start_time AS start, s.end_time AS "end", h.online, ${diskFaultSql('s.disk_id', 'failed')} AS disk_failed, s.disk_id,
      (SELECT n.time FROM snapshot n WHERE n.volume_id = s.volume_id AND n.time >= s.start_time
        AND n.time <= coalesce(s.end_time, ?) AND n.seq = s.seq ORDER BY n.time LIMIT 1) AS first
    FROM segment s JOIN cdp_disk d ON d.id = s.disk_id JOIN host h ON h.id = d.host_id
    WHERE s.volume_id = ? ORDER BY s.seq`, now, volumeId)
    // Written out: a rest-and-spread copy of a row costs V8 ~3 µs, this ~0.05 µs (metrics read every volume's segments).
    .map((s) => ({ seq: s.seq, start: s.start, end: s.end, online: s.online === 1n, diskFailed: s.disk_failed === 1n, diskId: s.disk_id, first: s.first }))
}

/**
 * Per online segment with a snapshot: from its oldest snapshot to its end (now, while
 * active), without the times its disk could not record (disk-faults.ts).
 */
export function recoverableRanges (sql: Sql, volumeId: bigint, now: Ns): RecoverableRange[] {
  return rangesOf(segmentSpans(sql, volumeId, now), now, faultSpansOf(sql, volumeId))
}

export function rangesOf (segments: readonly SegmentSpan[], now: Ns, faults: ReadonlyMap<bigint, FaultSpan[]>): RecoverableRange[] {
  return segments.flatMap((s) => s.online && !s.diskFailed && s.first !== null
    ? withoutFaults({ from: s.first, to: s.end ?? now, seq: s.seq }, faults.get(s.diskId))
    : [])
}

/** A time inside some online segment, at or after one of its snapshots. */
export function requireRecoverable (sql: Sql, volumeId: bigint, at: Ns, now: Ns): void {
  if (!recoverableRanges(sql, volumeId, now).some((r) => r.from <= at && at <= r.to)) {
    throw new CdpError('POINT_NOT_RECOVERABLE', `${at}`)
  }
}

/** Checks a (snapshot, timestamp) pair the way view and revert need it. */
export function resolvePoint (sql: Sql, volumeId: bigint, point: PointInTime, now: Ns): ResolvedPoint {
  // Segments opened in one second each have a snapshot of that second's name: the point's is
  // the newest of them at or before its time (an older one's segment ended sooner). Segments
  // rolled at one ns share even the time: the newest segment's is the one still recording.
  const snapshot = sql.get<{ seq: bigint, time: bigint }>(`SELECT seq, time FROM snapshot WHERE volume_id = ? AND name = ?
    ORDER BY time <= ? DESC, time DESC, seq DESC LIMIT 1`, volumeId, point.snapshot_name, point.timestamp < now ? point.timestamp : now)
  if (snapshot === undefined) throw new CdpError('SNAPSHOT_NOT_FOUND', point.snapshot_name)
  if (point.timestamp > now) throw new CdpError('POINT_NOT_RECOVERABLE', `timestamp ${point.timestamp} is after now (${now})`)
  const segment = sql.get<{ end_time: bigint | null, online: bigint, host_id: bigint, host_uuid: string, disk_id: bigint }>(`
    SELECT s.end_time, h.online, h.id AS host_id, h.uuid AS host_uuid, s.disk_id
    FROM segment s JOIN cdp_disk d ON d.id = s.disk_id JOIN host h ON h.id = d.host_id
    WHERE s.volume_id = ? AND s.seq = ?`, volumeId, snapshot.seq)
  if (segment === undefined) throw new Error(`snapshot ${point.snapshot_name} has no segment`)
  const end = segment.end_time ?? now
  if (point.timestamp < snapshot.time || point.timestamp > end) {
    throw new CdpError('SNAPSHOT_NOT_BASE', `${point.snapshot_name} covers ${snapshot.time} to ${end}, not ${point.timestamp}`)
  }
  if (segment.online !== 1n) throw new CdpError('SEGMENT_OFFLINE', `usd_seq ${snapshot.seq}`)
  requireRecorded(sql, segment.disk_id, point.timestamp)
  return { seq: snapshot.seq, time: point.timestamp, hostId: segment.host_id, hostUuid: segment.host_uuid }
}
