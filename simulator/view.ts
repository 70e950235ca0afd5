// Views: the image at a point, exposed read-only on the host of the point's segment. One per
// volume; it keeps its image while the volume goes on being written.
import type { Ns, PointInTime } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { type BlockRange, EVERY_BLOCK, imageAt, resolvePoint } from './point-in-time.js'
import type { Sql } from './sql.js'
import { recordEvent } from './events.js'
import type { VolumeRow } from './volume.js'
import { type BlockChange, type BlockData, blockData } from './content.js'

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
  const insert = sql.prepare('INSERT INTO view_block (volume_id, block, token) VALUES (?, ?, ?)')
  for (const { block, token } of Array.from(imageAt(sql, volume.id, at.time))) {
    if (token !== 0) insert.run(volume.id, block, token)
  }
  return { host_uuid: at.hostUuid }
}

export function viewOff (sql: Sql, volume: VolumeRow, now: Ns): void {
  if (!hasView(sql, volume.id)) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
  const view = sql.get<{ seq: bigint, time: Ns }>('SELECT seq, time FROM view WHERE volume_id = ?', volume.id)
  recordEvent(sql, volume.id, now, 'view_off', { seq: view?.seq, to: view?.time })
  sql.run('DELETE FROM view_block WHERE volume_id = ?', volume.id)
  sql.run('DELETE FROM view WHERE volume_id = ?', volume.id)
}

/** The exposed image (within `range`) and the point it is of. */
export function viewImage (sql: Sql, volume: VolumeRow, range: BlockRange = EVERY_BLOCK): { blocks: BlockChange[], time: Ns } {
  const view = sql.get<{ time: bigint }>('SELECT time FROM view WHERE volume_id = ?', volume.id)
  if (view === undefined) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
  const blocks = sql.all<{ block: bigint, token: bigint }>('SELECT block, token FROM view_block WHERE volume_id = ? AND block >= ? AND block < ? ORDER BY block', volume.id, range.first, range.end)
  return { blocks: blocks.map((b) => ({ block: Number(b.block), token: Number(b.token) })), time: view.time }
}

export interface ViewFacts { host_uuid: string, snapshot_name: string, time: Ns }

/** The view that is on, or VIEW_NOT_FOUND. */
export function viewFacts (sql: Sql, volume: VolumeRow): ViewFacts {
  const view = sql.get<ViewFacts>(`SELECT h.uuid AS host_uuid, view.snapshot_name, view.time FROM view
    JOIN host h ON h.id = view.host_id WHERE view.volume_id = ?`, volume.id)
  if (view === undefined) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
  return view
}

/** The stored bytes of the view's blocks within `range`; VIEW_NOT_FOUND when it is off. */
export function viewBytes (sql: Sql, volume: VolumeRow, range: BlockRange): Iterable<BlockData> {
  if (!hasView(sql, volume.id)) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
  return blockData(sql.prepare(`SELECT v.block, c.data FROM view_block v JOIN content c ON c.id = v.token
    WHERE v.volume_id = ? AND v.block >= ? AND v.block < ?`).iterate(volume.id, range.first, range.end))
}
