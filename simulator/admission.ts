// Admission and placement: a CDP's reserve_capacity is reserved on one CDP disk of its
// cluster, and reservations on a disk never exceed its capacity.
import type { CdpPolicy, Ns } from '../src/backend/port.js'
import { NS_PER_SECOND } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { catchUp } from './catch-up.js'
import { type CdpRow, requireCdp, toStored } from './cdp.js'
import type { Sql } from './sql.js'
import type { VolumeRow } from './volume.js'

/** A new CDP, off, with its reservation placed. */
export function createCdp (sql: Sql, volume: VolumeRow, policy: CdpPolicy, now: Ns): CdpRow {
  const diskId = placeReservation(sql, volume, policy.reserve_capacity)
  sql.run(`INSERT INTO cdp (volume_id, priority, reserve_capacity, reserve_duration, state, create_time, disk_id, base_time)
    VALUES (?, ?, ?, ?, 'off', ?, ?, ?)`,
  volume.id, policy.cdp_priority, policy.reserve_capacity, toStored(policy.reserve_duration), now / NS_PER_SECOND, diskId, now)
  return requireCdp(sql, volume.id)
}

/** A new policy for an existing CDP: the reservation moves by the change, then the new limits apply at once. */
export function changePolicy (sql: Sql, cdp: CdpRow, volume: VolumeRow, policy: CdpPolicy, now: Ns, snapshotInterval: Ns): void {
  catchUp(sql, cdp, now, snapshotInterval)
  placeReservation(sql, volume, policy.reserve_capacity, cdp)
  sql.run('UPDATE cdp SET priority = ?, reserve_capacity = ?, reserve_duration = ? WHERE volume_id = ?',
    policy.cdp_priority, policy.reserve_capacity, toStored(policy.reserve_duration), volume.id)
  catchUp(sql, requireCdp(sql, volume.id), now, snapshotInterval)
}

/** Gives the reservation back when the CDP is deleted. */
export function releaseReservation (sql: Sql, cdp: CdpRow): void {
  sql.run('UPDATE cdp_disk SET reserved = reserved - ? WHERE id = ?', cdp.reserve_capacity, cdp.disk_id)
}

/**
 * Places `capacity` bytes of reservation for the volume: on its current disk when it has
 * one (only the change counts), else on the online disk of its cluster with most room.
 */
function placeReservation (sql: Sql, volume: VolumeRow, capacity: bigint, current?: CdpRow): bigint {
  const tooBig = new CdpError('INSUFFICIENT_CDP_CAPACITY', `reserve_capacity ${capacity} does not fit on any CDP disk`)
  if (current !== undefined) {
    const delta = capacity - current.reserve_capacity
    const disk = sql.get<{ free: bigint }>('SELECT capacity - reserved AS free FROM cdp_disk WHERE id = ?', current.disk_id)
    if (disk === undefined || delta > disk.free) throw tooBig
    sql.run('UPDATE cdp_disk SET reserved = reserved + ? WHERE id = ?', delta, current.disk_id)
    return current.disk_id
  }
  const disk = sql.get<{ id: bigint, free: bigint }>(`
    SELECT d.id, d.capacity - d.reserved AS free FROM cdp_disk d JOIN host h ON h.id = d.host_id
    JOIN volume v ON v.cluster_id = h.cluster_id
    WHERE v.id = ? AND h.online = 1 ORDER BY free DESC, h.id, d.path LIMIT 1`, volume.id)
  if (disk === undefined || capacity > disk.free) throw tooBig
  sql.run('UPDATE cdp_disk SET reserved = reserved + ? WHERE id = ?', capacity, disk.id)
  return disk.id
}
