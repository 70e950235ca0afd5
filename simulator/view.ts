// Views: the image at a point, exposed read-only on the host of the point's segment. One per
// volume; it keeps its image while the volume goes on being written. Nothing is copied: a view
// reads through the journal at its time, and retention folds no history past that time while
// the view is on (retention.ts).
import type { Ns, PointInTime } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { allocatedRuns, type BlockRange, type BlockRun, imageAt, imageBytes, resolvePoint } from './point-in-time.js'
import type { Sql } from './sql.js'
import { recordEvent } from './events.js'
import type { VolumeRow } from './volume.js'
import type { BlockChange } from './content.js'

export function hasView (sql: Sql, volumeId: bigint): boolean {
  return sql.get('SELECT 1 AS ok FROM view WHERE volume_id = ?', volumeId) !== undefined
}

/** The view's host (empty when there is none), as info reports it. */
export function viewHost (sql: Sql, volumeId: bigint): string {
  return sql.get<{ uuid: string }>('SELECT h.uuid FROM view JOIN host h ON h.id = view.host_id WHERE view.volume_id = ?', volumeId)?.uuid ?? ''
}

/** A view on at `now`, the change's own ns; the point is judged at `found`, the now the call found (timeline.ts). */
export function viewOn (sql: Sql, volume: VolumeRow, point: PointInTime, now: Ns, found: Ns): { host_uuid: string } {
  if (hasView(sql, volume.id)) throw new CdpError('VIEW_ALREADY_ON', volume.uuid)
  const at = resolvePoint(sql, volume.id, point, found)
  recordEvent(sql, volume.id, now, 'view_on', { seq: at.seq, to: at.time })
  sql.run('INSERT INTO view (volume_id, seq, snapshot_name, time, host_id) VALUES (?, ?, ?, ?, ?)',
    volume.id, at.seq, point.snapshot_name, at.time, at.hostId)
  return { host_uuid: at.hostUuid }
}

export function viewOff (sql: Sql, volume: VolumeRow, now: Ns): void {
  if (!hasView(sql, volume.id)) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
  const view = sql.get<{ seq: bigint, time: Ns }>('SELECT seq, time FROM view WHERE volume_id = ?', volume.id)
  recordEvent(sql, volume.id, now, 'view_off', { seq: view?.seq, to: view?.time })
  sql.run('DELETE FROM view WHERE volume_id = ?', volume.id)
}

/** The point the view is of; VIEW_NOT_FOUND when it is off. */
function viewTime (sql: Sql, volume: VolumeRow): Ns {
  const view = sql.get<{ time: bigint }>('SELECT time FROM view WHERE volume_id = ?', volume.id)
  if (view === undefined) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
  return view.time
}

/** The exposed image and the point it is of. */
export function viewImage (sql: Sql, volume: VolumeRow): { blocks: BlockChange[], time: Ns } {
  const time = viewTime(sql, volume)
  return { blocks: Array.from(imageAt(sql, volume.id, time)), time }
}

export interface ViewFacts { host_uuid: string, snapshot_name: string, time: Ns }

/** The view that is on, or VIEW_NOT_FOUND. */
export function viewFacts (sql: Sql, volume: VolumeRow): ViewFacts {
  const view = sql.get<ViewFacts>(`SELECT h.uuid AS host_uuid, view.snapshot_name, view.time FROM view
    JOIN host h ON h.id = view.host_id WHERE view.volume_id = ?`, volume.id)
  if (view === undefined) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
  return view
}

/** The bytes of the view's image within `range`; VIEW_NOT_FOUND when it is off. */
export function viewBytes (sql: Sql, volume: VolumeRow, range: BlockRange): Buffer {
  return imageBytes(sql, volume.id, range, viewTime(sql, volume))
}

/** The runs of the view's image within `range` that are not zeros; VIEW_NOT_FOUND when it is off. */
export function viewAllocated (sql: Sql, volume: VolumeRow, range: BlockRange): BlockRun[] {
  return allocatedRuns(sql, volume.id, range, viewTime(sql, volume))
}
