// Admission and placement: a CDP's reserve_capacity is reserved on one CDP disk of its
// cluster, and reservations on a disk never exceed its capacity.
import type { CdpPolicy, Ns } from '../src/backend/port.js'
import { NS_PER_SECOND } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { catchUp } from './catch-up.js'
import { type CdpRow, fromStored, requireCdp, toStored } from './cdp.js'
import { BLOCK_BYTES } from './content.js'
import type { Sql } from './sql.js'
import { diskFaultSql } from './disk-faults.js'
import { recordEvent } from './events.js'
import type { VolumeRow } from './volume.js'

/**
 * The least a policy may ask for: a journal that cannot hold one block, or keeps nothing for
 * a second, would fold every write away at once.
 */
function requireMinimums (policy: CdpPolicy): void {
  if (policy.reserve_capacity < BLOCK_BYTES) {
    throw new CdpError('RESERVE_CAPACITY_TOO_SMALL', `reserve_capacity ${policy.reserve_capacity} is below one block (${BLOCK_BYTES} bytes)`)
  }
  if (policy.reserve_duration < 1n) throw new CdpError('RESERVE_DURATION_TOO_SHORT', `reserve_duration ${policy.reserve_duration}`)
}

/** A new CDP, off, with its reservation placed. */
export function createCdp (sql: Sql, volume: VolumeRow, policy: CdpPolicy, now: Ns): CdpRow {
  requireMinimums(policy)
  const diskId = placeReservation(sql, volume, policy.reserve_capacity)
  sql.run(`INSERT INTO cdp (volume_id, priority, reserve_capacity, reserve_duration, state, create_time, disk_id, base_time)
    VALUES (?, ?, ?, ?, 'off', ?, ?, ?)`,
  volume.id, policy.cdp_priority, policy.reserve_capacity, toStored(policy.reserve_duration), now / NS_PER_SECOND, diskId, now)
  return requireCdp(sql, volume.id)
}

/** A new policy for an existing CDP: the reservation moves by the change, then the new limits apply at once. */
export function changePolicy (sql: Sql, cdp: CdpRow, volume: VolumeRow, policy: CdpPolicy, now: Ns, snapshotInterval: Ns): void {
  requireMinimums(policy)
  catchUp(sql, cdp, now, snapshotInterval)
  placeReservation(sql, volume, policy.reserve_capacity, cdp)
  sql.run('UPDATE cdp SET priority = ?, reserve_capacity = ?, reserve_duration = ? WHERE volume_id = ?',
    policy.cdp_priority, policy.reserve_capacity, toStored(policy.reserve_duration), volume.id)
  const old = { cdp_priority: cdp.priority, reserve_capacity: cdp.reserve_capacity, reserve_duration: fromStored(cdp.reserve_duration) }
  recordEvent(sql, volume.id, now, 'policy_changed', { old, new: policy })
  catchUp(sql, requireCdp(sql, volume.id), now, snapshotInterval)
}

/** Gives the reservation back when the CDP is deleted: to the tenant's share, or to the disk. */
export function releaseReservation (sql: Sql, cdp: CdpRow): void {
  const fromShare = sql.run(`UPDATE tenant_share SET used = used - ? WHERE (tenant_id, cluster_id) =
    (SELECT tenant_id, cluster_id FROM volume WHERE id = ?)`, cdp.reserve_capacity, cdp.volume_id)
  if (fromShare === 0) sql.run('UPDATE cdp_disk SET reserved = reserved - ? WHERE id = ?', cdp.reserve_capacity, cdp.disk_id)
}

/**
 * Places `capacity` bytes of reservation for the volume. A tenant with a quota draws on its
 * share alone; others on the volume's current disk when it has one (only the change counts),
 * else on the online, healthy disk of its cluster with most room. Shares are counted in their disks'
 * `reserved`, so what others may reserve never depends on what a quota tenant holds.
 */
function placeReservation (sql: Sql, volume: VolumeRow, capacity: bigint, current?: CdpRow): bigint {
  const added = capacity - (current?.reserve_capacity ?? 0n)
  const share = sql.get<{ disk_id: bigint, size: bigint, used: bigint }>(`SELECT s.disk_id, s.size, s.used
    FROM tenant_share s JOIN volume v ON v.tenant_id = s.tenant_id AND v.cluster_id = s.cluster_id WHERE v.id = ?`, volume.id)
  if (share !== undefined) {
    if (share.used + added > share.size) {
      throw new CdpError('TENANT_QUOTA_EXCEEDED', `tenant ${volume.tenant} holds ${share.used} of its quota ${share.size}; ${added} more does not fit`)
    }
    sql.run(`UPDATE tenant_share SET used = used + ? WHERE (tenant_id, cluster_id) =
      (SELECT tenant_id, cluster_id FROM volume WHERE id = ?)`, added, volume.id)
    return share.disk_id
  }
  const tooBig = new CdpError('INSUFFICIENT_CDP_CAPACITY', `reserve_capacity ${capacity} does not fit on any CDP disk`)
  if (current !== undefined) {
    const disk = sql.get<{ free: bigint }>('SELECT capacity - reserved AS free FROM cdp_disk WHERE id = ?', current.disk_id)
    if (disk === undefined || added > disk.free) throw tooBig
    sql.run('UPDATE cdp_disk SET reserved = reserved + ? WHERE id = ?', added, current.disk_id)
    return current.disk_id
  }
  const disk = sql.get<{ id: bigint, free: bigint }>(`
    SELECT d.id, d.capacity - d.reserved AS free FROM cdp_disk d JOIN host h ON h.id = d.host_id
    JOIN volume v ON v.cluster_id = h.cluster_id
    WHERE v.id = ? AND h.online = 1 AND NOT ${diskFaultSql('d.id')}
    ORDER BY free DESC, h.id, d.path LIMIT 1`, volume.id)
  if (disk === undefined || capacity > disk.free) throw tooBig
  sql.run('UPDATE cdp_disk SET reserved = reserved + ? WHERE id = ?', capacity, disk.id)
  return disk.id
}
