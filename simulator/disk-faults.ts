// Disk faults: a CDP disk can fail or fill up. The volume keeps taking writes, but the journal
// on that disk records none of them, so the time from the fault to its heal is a gap: the
// segments there stop growing (and report `online: false` while the disk is failed), and
// enabling CDP on the disk is refused. Healing journals, at the heal's ns, what changed
// meanwhile, so the points from then on replay right. Each fault is a span in `disk_fault`
// (from, to inclusive; `to` NULL while it lasts), which reset clears and state files carry.
import type { Ns } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { catchUp } from './catch-up.js'
import { requireCdp } from './cdp.js'
import type { Clock } from './clock.js'
import type { RecoverableRange } from './control.js'
import { recordEvent } from './events.js'
import { journalChangesWhileOff } from './journal.js'
import type { Cadence } from './options.js'
import type { Sql } from './sql.js'
import { recordChange } from './timeline.js'

export const DISK_STATES = ['ok', 'failed', 'full'] as const
export type DiskState = typeof DISK_STATES[number]
export type DiskFault = Exclude<DiskState, 'ok'>

export interface FaultSpan { state: DiskFault, from: Ns, to: Ns | null }

/** SQL that is 1 when the disk in `diskColumn` has a fault now (`failed`: only a failure, whose segments are offline). */
export const diskFaultSql = (diskColumn: string, only?: 'failed'): string =>
  `EXISTS (SELECT 1 FROM disk_fault df WHERE df.disk_id = ${diskColumn} AND df.to_time IS NULL${only === undefined ? '' : ` AND df.state = '${only}'`})`

/** The disk's fault now, if any. */
function openFault (sql: Sql, diskId: bigint): { id: bigint, state: DiskFault, from: Ns } | undefined {
  return sql.get<{ id: bigint, state: DiskFault, from: Ns }>('SELECT id, state, from_time AS "from" FROM disk_fault WHERE disk_id = ? AND to_time IS NULL', diskId)
}

/** Refuses to start a journal on a failed or full disk. */
export function requireRecordingDisk (sql: Sql, diskId: bigint): void {
  const fault = openFault(sql, diskId)
  if (fault !== undefined) throw new CdpError('DISK_FAULTY', `the CDP disk is ${fault.state}`)
}

/** Whether the journal on the disk can record writes now. */
export function isRecording (sql: Sql, diskId: bigint): boolean {
  return openFault(sql, diskId) === undefined
}

/** The fault spans of the disks under the volume's segments, oldest first, by disk. */
export function faultSpansOf (sql: Sql, volumeId: bigint): Map<bigint, FaultSpan[]> {
  const spans = new Map<bigint, FaultSpan[]>()
  for (const row of sql.all<FaultSpan & { disk_id: bigint }>(`SELECT disk_id, state, from_time AS "from", to_time AS "to" FROM disk_fault
    WHERE disk_id IN (SELECT DISTINCT disk_id FROM segment WHERE volume_id = ?) ORDER BY from_time`, volumeId)) {
    spans.set(row.disk_id, [...(spans.get(row.disk_id) ?? []), { state: row.state, from: row.from, to: row.to }])
  }
  return spans
}

/** A segment's recoverable range with the disk's fault spans taken out (none, one or two pieces per span). */
export function withoutFaults (range: RecoverableRange, spans: readonly FaultSpan[] = []): RecoverableRange[] {
  let parts = [range]
  for (const span of spans) {
    const to = span.to ?? range.to
    parts = parts.flatMap((part) => {
      if (part.to < span.from || part.from > to) return [part]
      return [
        ...(part.from < span.from ? [{ ...part, to: span.from - 1n }] : []),
        ...(part.to > to ? [{ ...part, from: to + 1n }] : [])
      ]
    })
  }
  return parts
}

/** A point of a segment on `diskId`: SEGMENT_OFFLINE while the disk is failed, POINT_NOT_RECOVERABLE inside a fault. */
export function requireRecorded (sql: Sql, diskId: bigint, at: Ns): void {
  if (openFault(sql, diskId)?.state === 'failed') throw new CdpError('SEGMENT_OFFLINE', 'its CDP disk has failed')
  const hit = sql.get<{ state: DiskFault }>('SELECT state FROM disk_fault WHERE disk_id = ? AND from_time <= ? AND (to_time IS NULL OR to_time >= ?)', diskId, at, at)
  if (hit !== undefined) throw new CdpError('POINT_NOT_RECOVERABLE', `${at}: its CDP disk was ${hit.state} then`)
}

/** The disk at `path` on the host; unknown host HOST_NOT_FOUND, unknown path DISK_NOT_FOUND. */
function findDisk (sql: Sql, hostUuid: string, path: string): bigint {
  const host = sql.get<{ id: bigint }>('SELECT id FROM host WHERE uuid = ?', hostUuid.toLowerCase())
  if (host === undefined) throw new CdpError('HOST_NOT_FOUND', hostUuid)
  const disk = sql.get<{ id: bigint }>('SELECT id FROM cdp_disk WHERE host_id = ? AND path = ?', host.id, path)
  if (disk === undefined) throw new CdpError('DISK_NOT_FOUND', `${path} on host ${hostUuid}`)
  return disk.id
}

/**
 * Puts the disk in `state` (the same state again changes nothing). The change takes a ns
 * after every change of the volumes on the disk, so every point they produced before it
 * stays recoverable, and after the start of the fault it ends; each volume records an event.
 */
export function setDiskState (sql: Sql, clock: Clock, cadence: Cadence, hostUuid: string, path: string, state: DiskState): void {
  const diskId = findDisk(sql, hostUuid, path)
  const current = openFault(sql, diskId)
  if ((current?.state ?? 'ok') === state) return
  const volumes = sql.all<{ volume_id: bigint, last_change: Ns, recording: bigint }>(`
    SELECT cdp.volume_id, cdp.last_change,
      EXISTS (SELECT 1 FROM segment a WHERE a.volume_id = cdp.volume_id AND a.disk_id = ? AND a.end_time IS NULL) AS recording
    FROM cdp WHERE EXISTS (SELECT 1 FROM segment s WHERE s.volume_id = cdp.volume_id AND s.disk_id = ?)`, diskId, diskId)
  // After the fault it ends too: a fault lasts at least its first ns (its span from..at-1 is never empty).
  const at = clock.after(volumes.reduce((max, v) => v.last_change > max ? v.last_change : max, current?.from ?? 0n))
  if (current !== undefined) sql.run('UPDATE disk_fault SET to_time = ? WHERE id = ?', at - 1n, current.id)
  if (state !== 'ok') sql.run('INSERT INTO disk_fault (disk_id, state, from_time) VALUES (?, ?, ?)', diskId, state, at)
  for (const { volume_id: volumeId, recording } of volumes) {
    catchUp(sql, requireCdp(sql, volumeId), at, cadence.snapshotInterval)
    recordEvent(sql, volumeId, at, `disk_${state}`)
    if (state === 'ok' && recording === 1n) {
      journalChangesWhileOff(sql, volumeId, at, cadence.segmentCapacity)
      recordChange(sql, volumeId, at)
    }
  }
}
