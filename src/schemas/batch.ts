// The answer of edit/enable/disable: counts, and one envelope per requested volume.
import { Type } from '@sinclair/typebox'
import { Output, Uuid } from './common.js'
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
  return Type.Object({ volumes: BatchVolumes(maxVolumes), cluster_uuid: BatchClusterUuid })
}

export const BatchResult = Type.Object({
  success: Type.Integer({ description: '操作成功数量' }),
  fail: Type.Integer({ description: '操作失败数量' }),
  results: Type.Array(Output(VolumeIdentity), { description: '操作结果数组' })
})
