// The bodies and the answer of edit/enable/disable: counts, and one envelope per requested volume.
import { Type } from '@sinclair/typebox'
import { Output, Uint64, Uint64Input, Uuid } from './common.js'
import { CdpPriority } from './list.js'
import { InternalVolumeIdentifier, VolumeIdentity } from './volume.js'

export function BatchVolumes (maxVolumes: number) {
  return Type.Array(InternalVolumeIdentifier, {
    minItems: 1,
    maxItems: maxVolumes,
    description: `卷信息数组（1至${maxVolumes}个）`
  })
}

/** The spec's examples carry an extra top-level cluster_uuid; it is accepted and unused. */
export const BatchClusterUuid = Type.Optional(Uuid('集群uuid（可选，以volumes中的为准）'))

/** The body of enable/disable: just the volumes. */
export function BatchBody (maxVolumes: number) {
  return Type.Object({ volumes: BatchVolumes(maxVolumes), cluster_uuid: BatchClusterUuid }, { title: 'CdpBatchRequest' })
}

/** A CDP policy as the port holds it: bigints. */
export const CdpPolicy = Type.Object({
  cdp_priority: CdpPriority,
  reserve_capacity: Uint64('占用CDP盘最大空间（字节）'),
  reserve_duration: Uint64('可恢复最近时长（秒）')
}, { title: 'CdpPolicy' })

/** The body of edit: the policy's fields as the spec sends them, and the volumes. */
export function EditBody (maxVolumes: number) {
  return Type.Object({
    cdp_priority: CdpPriority,
    reserve_capacity: Uint64Input('占用CDP盘最大空间（字节）'),
    reserve_duration: Uint64Input('可恢复最近时长（秒）'),
    volumes: BatchVolumes(maxVolumes),
    cluster_uuid: BatchClusterUuid
  }, { title: 'CdpEditRequest' })
}

export const CdpBatchResult = Type.Object({
  success: Type.Integer({ description: '操作成功数量' }),
  fail: Type.Integer({ description: '操作失败数量' }),
  results: Type.Array(Output(VolumeIdentity, 'Output'), { description: '操作结果数组（与volumes一一对应，按请求顺序）' })
}, { title: 'CdpBatchResult' })
