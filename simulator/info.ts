// Info: a volume's segments with their snapshots, use and io times, and its view's host;
// and the journal figures the metrics gauges read.
import { type CdpInfo, type CdpSegmentInfo, type Ns, NS_PER_SECOND } from '../src/backend/port.js'
import { snapshotName } from './auto-snapshots.js'
import { type CdpRow, fromStored } from './cdp.js'
import { diskFaultSql } from './disk-faults.js'
import { recoverableRanges } from './point-in-time.js'
import type { Sql } from './sql.js'
import { viewHost } from './view.js'

export function cdpInfo (sql: Sql, volumeId: bigint): CdpInfo {
  const segments = sql.all<{ seq: bigint, start_time: bigint, use: bigint, capacity: bigint, io_start_time: bigint | null, io_last_time: bigint | null, online: bigint, maddr: string, path: string }>(`
    SELECT s.seq, s.start_time, s.use, s.capacity, s.io_start_time, s.io_last_time,
      (h.online = 1 AND NOT ${diskFaultSql('s.disk_id', 'failed')}) AS online, h.maddr, d.path
    FROM segment s JOIN cdp_disk d ON d.id = s.disk_id JOIN host h ON h.id = d.host_id
    WHERE s.volume_id = ? ORDER BY s.seq`, volumeId)
  // One row per segment: reading a hundred snapshot rows one by one costs more than the rest of info.
  const snaps = new Map(sql.all<{ seq: bigint, times: string }>(
    "SELECT seq, group_concat(time, ',' ORDER BY time) AS times FROM snapshot WHERE volume_id = ? GROUP BY seq", volumeId)
    .map((row) => [row.seq, row.times.split(',').map((time) => ({ name: snapshotName(BigInt(time)), time: BigInt(time) }))]))
  return {
    cdp_info: segments.map((s): CdpSegmentInfo => ({
      snaps: snaps.get(s.seq) ?? [],
      seq: s.seq,
      startTime: s.start_time,
      use: s.use,
      capacity: s.capacity,
      ioStartTime: s.io_start_time ?? 0n,
      ioLastTime: s.io_last_time ?? 0n,
      online: s.online === 1n,
      usd_maddr: s.maddr,
      usd_path: s.path
    })),
    host_uuid: viewHost(sql, volumeId)
  }
}

/**
 * The first ns at which time alone, with no change to the volume, could alter its info: a
 * due auto snapshot, or the oldest snapshot passing reserve_duration (retention then drops
 * it and folds). `cdp` is the volume as the catch-up at `now` left it. Without a snapshot
 * retention folds up to now at every call, so the answer holds only at `now` itself.
 */
export function infoValidUntil (cdp: CdpRow, now: Ns): Ns {
  if (cdp.oldest_snapshot === null) return now + 1n
  let until = cdp.oldest_snapshot + fromStored(cdp.reserve_duration) * NS_PER_SECOND + 1n
  if (cdp.state === 'on' && cdp.next_snapshot !== null && cdp.next_snapshot < until) until = cdp.next_snapshot
  return until > now ? until : now + 1n
}

export interface JournalStat { volume_uuid: string, use: bigint, window_seconds: number }

/**
 * Every CDP volume's journal use and recoverable window (read only): the window is the total
 * length of its recoverable ranges, so gaps and the time since a disable do not count.
 */
export function journalStats (sql: Sql, now: Ns): JournalStat[] {
  return sql.all<{ id: bigint, uuid: string, use: bigint }>(`
    SELECT cdp.volume_id AS id, v.uuid,
      (SELECT coalesce(sum(s.use), 0) FROM segment s WHERE s.volume_id = cdp.volume_id) AS use
    FROM cdp JOIN volume v ON v.id = cdp.volume_id ORDER BY v.uuid`)
    .map((row) => {
      // A range's to is never before its from (a segment's first snapshot lies in it, a fault cuts pieces around it).
      const window = recoverableRanges(sql, row.id, now).reduce((sum, r) => sum + r.to - r.from, 0n)
      return { volume_uuid: row.uuid, use: row.use, window_seconds: Number(window) / Number(NS_PER_SECOND) }
    })
}
