// A volume's CDP row, read with what every journal decision needs.
import type { CdpPriority, CdpState, Ns } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import type { Sql } from './sql.js'

export interface CdpRow {
  volume_id: bigint
  priority: CdpPriority
  reserve_capacity: bigint
  /** uint64 seconds in its int64 bit pattern: read it with fromStored. */
  reserve_duration: bigint
  state: CdpState
  create_time: bigint
  disk_id: bigint
  next_seq: bigint
  base_time: Ns
  next_snapshot: Ns | null
  /** The ns of the newest acknowledged change (timeline.ts). */
  last_change: Ns
  /** When the journal last went on; null while off. */
  on_since: Ns | null
  /** Journal bytes over all segments. */
  use: bigint
  oldest_snapshot: Ns | null
  /** The point of the volume's view while one is on: retention folds no history past it. */
  view_time: Ns | null
  /** The segment being written; null while CDP is off. */
  active_seq: bigint | null
  active_use: bigint | null
  active_capacity: bigint | null
}

// Read as an array and named here: better-sqlite3 building an 18-property row object cost
// about twice as much, and every write reads this row.
const CDP_SELECT = `
  SELECT cdp.volume_id, cdp.priority, cdp.reserve_capacity, cdp.reserve_duration, cdp.state,
    cdp.create_time, cdp.disk_id, cdp.next_seq, cdp.base_time, cdp.next_snapshot, cdp.last_change,
    cdp.on_since,
    (SELECT coalesce(sum(s.use), 0) FROM segment s WHERE s.volume_id = cdp.volume_id) AS use,
    (SELECT min(sn.time) FROM snapshot sn WHERE sn.volume_id = cdp.volume_id) AS oldest_snapshot,
    (SELECT v.time FROM view v WHERE v.volume_id = cdp.volume_id) AS view_time,
    a.seq AS active_seq, a.use AS active_use, a.capacity AS active_capacity
  FROM cdp LEFT JOIN segment a ON a.volume_id = cdp.volume_id AND a.end_time IS NULL
  WHERE cdp.volume_id = ?`

/** uint64 policy values are kept in SQLite's int64 as the same 64 bits. */
export const toStored = (u64: bigint): bigint => BigInt.asIntN(64, u64)
export const fromStored = (i64: bigint): bigint => BigInt.asUintN(64, i64)

export function cdpOf (sql: Sql, volumeId: bigint): CdpRow | undefined {
  const row = sql.prepare(CDP_SELECT).raw(true).get(volumeId) as unknown[] | undefined
  if (row === undefined) return undefined
  return {
    volume_id: row[0] as bigint,
    priority: row[1] as CdpPriority,
    reserve_capacity: row[2] as bigint,
    reserve_duration: row[3] as bigint,
    state: row[4] as CdpState,
    create_time: row[5] as bigint,
    disk_id: row[6] as bigint,
    next_seq: row[7] as bigint,
    base_time: row[8] as bigint,
    next_snapshot: row[9] as bigint | null,
    last_change: row[10] as bigint,
    on_since: row[11] as bigint | null,
    use: row[12] as bigint,
    oldest_snapshot: row[13] as bigint | null,
    view_time: row[14] as bigint | null,
    active_seq: row[15] as bigint | null,
    active_use: row[16] as bigint | null,
    active_capacity: row[17] as bigint | null
  }
}

export function requireCdp (sql: Sql, volumeId: bigint): CdpRow {
  const cdp = cdpOf(sql, volumeId)
  if (cdp === undefined) throw new CdpError('CDP_NOT_FOUND', 'the volume has no CDP configured')
  return cdp
}
