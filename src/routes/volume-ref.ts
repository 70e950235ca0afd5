// From a request's volume fields to the backend's VolumeRef, keeping only what was given:
// `tenant`, when present, scopes the call (the backend answers "not found" across tenants).
import type { VolumeRef } from '../backend/port.js'

export interface VolumeFields {
  cluster_uuid: string
  tenant?: string
  volume_uuid: string
  volume_name?: string
}

export function toVolumeRef ({ cluster_uuid: clusterUuid, tenant, volume_uuid: volumeUuid, volume_name: volumeName }: VolumeFields): VolumeRef {
  const ref: VolumeRef = { cluster_uuid: clusterUuid, volume_uuid: volumeUuid }
  if (tenant !== undefined) ref.tenant = tenant
  if (volumeName !== undefined) ref.volume_name = volumeName
  return ref
}
