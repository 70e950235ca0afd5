// The spec's list answer: InternalVolumeCdpListInfo and EachResourceRangeListState.
import { Type } from '@sinclair/typebox'
import { CDP_PRIORITIES, CDP_STATES } from '../backend/port.js'
import { Output, StringEnum, Uint64 } from './common.js'

export const CdpPriority = StringEnum(CDP_PRIORITIES, '恢复优先级')
export const CdpState = StringEnum(CDP_STATES, 'cdp启用状态')

export const InternalVolumeCdpListInfo = Type.Object({
  cluster_uuid: Type.String({ description: '集群uuid' }),
  cluster_name: Type.String({ description: '集群名称' }),
  cluster_mode: Type.String({ description: '集群模式' }),
  tenant: Type.String({ description: '租户uuid' }),
  tenant_name: Type.String({ description: '租户名称' }),
  volume_uuid: Type.String({ description: '卷uuid' }),
  volume_name: Type.String({ description: '卷名称' }),
  vm_name: Type.String({ description: '卷所属虚拟机名称' }),
  vm_uuid: Type.String({ description: '卷所属虚拟机uuid' }),
  reserve_duration: Uint64('可恢复最近时长'),
  reserve_capacity: Uint64('占用CDP盘最大空间'),
  cdp_create_time: Type.Integer({ description: 'cdp创建时间' }),
  cdp_state: CdpState,
  cdp_priority: CdpPriority
}, { description: 'InternalVolumeCdpListInfo对象' })

export const EachResourceRangeListState = Type.Object({
  cluster_uuid: Type.String({ description: '集群uuid' }),
  cluster_name: Type.String({ description: '集群名称' }),
  cluster_mode: Type.String({ description: '集群模式' }),
  namespace_uuid: Type.String({ description: '命名空间uuid' }),
  result: Output(Type.String({ description: '恒为空字符串' })),
  total_count: Type.Integer({ description: '总数' })
}, { description: 'EachResourceRangeListState对象' })

export const ListData = Type.Object({
  TotalCount: Type.Integer({ description: '总数' }),
  List: Type.Array(InternalVolumeCdpListInfo, { description: '卷cdp信息数组' }),
  each_range_list_state: Type.Array(EachResourceRangeListState, { description: '集群的操作结果数组' })
})
