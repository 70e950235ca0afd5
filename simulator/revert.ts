// Revert: the volume rolled back in place to a point, journaled as the writes that make its
// live image equal the point's image; so the revert is itself a point. It costs the blocks
// changed since the point, not the volume.
import type { Ns, PointInTime } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { cdpOf } from './cdp.js'
import { applyWrite, blocksChangedSince } from './journal.js'
import type { Cadence } from './options.js'
import { differencesAt, resolvePoint } from './point-in-time.js'
import type { Sql } from './sql.js'
import { recordEvent } from './events.js'
import { hasView } from './view.js'
import type { VolumeRow } from './volume.js'

/** Reverts at `now`, the change's own ns; the point is judged at `found`, the now the call found (timeline.ts). */
export function revert (sql: Sql, volume: VolumeRow, point: PointInTime, now: Ns, found: Ns, cadence: Cadence): void {
  if (volume.vm_running === 1n) throw new CdpError('VOLUME_IN_USE', volume.uuid)
  if (hasView(sql, volume.id)) throw new CdpError('VIEW_IS_ON', volume.uuid)
  const at = resolvePoint(sql, volume.id, point, found)
  // Only blocks changed since the point can differ from its image: the cost is theirs.
  const changes = differencesAt(sql, volume.id, at.time, blocksChangedSince(sql, volume.id, at.time))
    .map(({ block, at: token }) => ({ block, token }))
  applyWrite(sql, volume.id, cdpOf(sql, volume.id), changes, now, cadence)
  recordEvent(sql, volume.id, now, 'reverted', { seq: at.seq, to: at.time })
}
