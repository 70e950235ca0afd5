// Volumes as requests name them: by uuid, inside a cluster, for a tenant.
import type { VolumeIdentity, VolumeRef } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import type { Sql } from './sql.js'

export interface VolumeRow {
  id: bigint
  uuid: string
  name: string
  size: bigint
  multiple: bigint
  vm_type: string
  owner: string
  cluster_uuid: string
  cluster_name: string
  cluster_mode: string
  namespace_uuid: string
  tenant: string
  tenant_name: string
  vm_running: bigint | null
}

const VOLUME_SELECT = `
  SELECT v.id, v.uuid, v.name, v.size, v.multiple, v.vm_type, v.owner,
    c.uuid AS cluster_uuid, c.name AS cluster_name, c.mode AS cluster_mode, n.uuid AS namespace_uuid,
    t.uuid AS tenant, t.name AS tenant_name, vm.running AS vm_running
  FROM volume v JOIN cluster c ON c.id = v.cluster_id JOIN tenant t ON t.id = v.tenant_id
  JOIN namespace n ON n.id = v.namespace_id
  LEFT JOIN vm ON vm.id = v.vm_id
  WHERE v.uuid = ?`

export function volumeByUuid (sql: Sql, uuid: string): VolumeRow {
  const volume = sql.get<VolumeRow>(VOLUME_SELECT, uuid.toLowerCase())
  if (volume === undefined) throw new CdpError('VOLUME_NOT_FOUND', uuid)
  return volume
}

/**
 * The volume a request names; another tenant's volume, or one outside the namespaces this
 * simulator serves (`served`, when it serves a slice), is as good as missing.
 */
export function resolveVolume (sql: Sql, ref: VolumeRef, served?: ReadonlySet<string>): VolumeRow {
  const volume = sql.get<VolumeRow>(VOLUME_SELECT, ref.volume_uuid.toLowerCase())
  const cluster = ref.cluster_uuid.toLowerCase()
  if (volume?.cluster_uuid !== cluster) {
    if (sql.get('SELECT 1 AS ok FROM cluster WHERE uuid = ?', cluster) === undefined) {
      throw new CdpError('CLUSTER_NOT_FOUND', ref.cluster_uuid)
    }
    throw new CdpError('VOLUME_NOT_FOUND', ref.volume_uuid)
  }
  if ((ref.tenant !== undefined && ref.tenant.toLowerCase() !== volume.tenant) || served?.has(volume.namespace_uuid) === false) {
    throw new CdpError('VOLUME_NOT_FOUND', ref.volume_uuid)
  }
  return volume
}

export function identityOf (volume: VolumeRow): VolumeIdentity {
  return {
    cluster_uuid: volume.cluster_uuid,
    cluster_name: volume.cluster_name,
    cluster_mode: volume.cluster_mode,
    tenant: volume.tenant,
    tenant_name: volume.tenant_name,
    multiple: volume.multiple === 1n,
    vm_type: volume.vm_type,
    volume_uuid: volume.uuid,
    volume_name: volume.name,
    owner: volume.owner
  }
}

/** What the control API and the NBD exports say of a volume. */
export interface VolumeFacts {
  uuid: string
  name: string
  size: number
  tenant: string
  /** CDP state, or 'none' when the volume has no CDP. */
  cdp_state: 'on' | 'off' | 'none'
}

export function volumeFacts (sql: Sql): VolumeFacts[] {
  return sql.all<{ uuid: string, name: string, size: bigint, tenant: string, state: 'on' | 'off' | null }>(`
    SELECT v.uuid, v.name, v.size, t.uuid AS tenant, cdp.state FROM volume v
    JOIN tenant t ON t.id = v.tenant_id LEFT JOIN cdp ON cdp.volume_id = v.id ORDER BY v.id`)
    .map((v) => ({ uuid: v.uuid, name: v.name, size: Number(v.size), tenant: v.tenant, cdp_state: v.state ?? 'none' }))
}
