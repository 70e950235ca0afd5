// The identity a batch result carries for a volume no backend could describe: what the
// request said, the rest empty.
import type { VolumeIdentity, VolumeRef } from './port.js'

export function identityFromRef (ref: VolumeRef): VolumeIdentity {
  return {
    cluster_uuid: ref.cluster_uuid,
    cluster_name: '',
    cluster_mode: '',
    tenant: ref.tenant ?? '',
    tenant_name: '',
    multiple: false,
    vm_type: '',
    volume_uuid: ref.volume_uuid,
    volume_name: ref.volume_name ?? '',
    owner: ''
  }
}
