// Consistency groups (an extension beside the eight): one point in time for several volumes,
// viewed or reverted all or nothing. The answer is the batch shape of enable/disable, each
// result naming the snapshot its volume is replayed from.
import { Type, type Static } from '@sinclair/typebox'
import { Output, StringEnum, Uint64, Uuid } from './common.js'
import { BatchVolumes } from './batch.js'
import { Timestamp } from './point.js'
import { VolumeIdentity } from './volume.js'

/** What names a group: its volumes, or vm_uuid for every CDP volume of that VM. */
function groupFields (maxVolumes: number) {
  return {
    cluster_uuid: Uuid('卷组所属集群uuid（volumes中每个卷须与之相同）'),
    tenant: Type.Optional(Uuid('卷组所属租户uuid')),
    volumes: Type.Optional(BatchVolumes(maxVolumes)),
    vm_uuid: Type.Optional(Uuid('虚拟机uuid：该虚拟机所有启用了CDP的卷（与volumes二选一）'))
  }
}

export function GroupViewBody (maxVolumes: number) {
  return Type.Object({
    ...groupFields(maxVolumes),
    op: StringEnum(['on', 'off'], '操作：on 打开查看，off 关闭查看（off时忽略timestamp）'),
    timestamp: Type.Optional(Timestamp('查看（op为on时必填，所有卷同一时间）'))
  }, { title: 'CdpGroupViewRequest' })
}

export function GroupRevertBody (maxVolumes: number) {
  return Type.Object({ ...groupFields(maxVolumes), timestamp: Timestamp('回滚（所有卷同一时间）') }, { title: 'CdpGroupRevertRequest' })
}

/** One volume's part of a group call: its identity, the base it is replayed from, the view's host. */
export const GroupMember = Type.Composite([VolumeIdentity, Type.Object({
  snapshot_name: Type.String({ description: '该卷回放所用的基准快照（该卷在timestamp或之前最新的快照；未能确定时为""）' }),
  host_uuid: Type.String({ description: '查看所在主机（仅op为on且成功时，否则为""）' })
})], { title: 'CdpGroupMember', description: 'CdpGroupMember对象' })

export const CdpGroupResult = Type.Object({
  success: Type.Integer({ description: '操作成功数量（全部或0）' }),
  fail: Type.Integer({ description: '操作失败数量' }),
  time: Uint64('整组生效的时间（ns，所有卷相同；未生效时为0）：回滚到time-1即撤销该组回滚'),
  results: Type.Array(Output(GroupMember, 'CdpGroupMemberOutput'), {
    description: '操作结果数组（与卷一一对应）：拒绝的卷带其错误，其余为GROUP_NOT_APPLIED'
  })
}, { title: 'CdpGroupResult' })
export type CdpGroupResult = Static<typeof CdpGroupResult>
