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

const CDP_SELECT = `
  SELECT cdp.*,
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
  return sql.get<CdpRow>(CDP_SELECT, volumeId)
}

export function requireCdp (sql: Sql, volumeId: bigint): CdpRow {
  const cdp = cdpOf(sql, volumeId)
  if (cdp === undefined) throw new CdpError('CDP_NOT_FOUND', 'the volume has no CDP configured')
  return cdp
}
