// How requests name a volume, and the identity that batch results carry back.
import { Type, type Static } from '@sinclair/typebox'
import { Uuid } from './common.js'

export const InternalVolumeIdentifier = Type.Object({
  cluster_uuid: Uuid('卷所属集群uuid'),
  tenant: Type.Optional(Uuid('卷所属租户uuid')),
  volume_uuid: Uuid('卷uuid'),
  volume_name: Type.Optional(Type.String({ maxLength: 256, description: '卷名称（仅作说明，以volume_uuid为准）' }))
}, { title: 'InternalVolumeIdentifier', description: 'InternalVolumeIdentifier对象: how a request names a volume' })

export type InternalVolumeIdentifier = Static<typeof InternalVolumeIdentifier>

/** The `data` of a batch result: the volume as the cluster knows it. */
export const VolumeIdentity = Type.Object({
  cluster_uuid: Type.String({ description: '集群uuid' }),
  cluster_name: Type.String({ description: '集群名称' }),
  cluster_mode: Type.String({ description: '集群模式' }),
  tenant: Type.String({ description: '租户uuid' }),
  tenant_name: Type.String({ description: '租户名称' }),
  multiple: Type.Boolean({ description: '是否共享卷' }),
  vm_type: Type.String({ description: '虚拟机类型' }),
  volume_uuid: Type.String({ description: '卷uuid' }),
  volume_name: Type.String({ description: '卷名称' }),
  owner: Type.String({ description: '所有者' })
}, { title: 'VolumeIdentity', description: 'The volume as the cluster knows it (the data of each batch result)' })
