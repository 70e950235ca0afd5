// The spec's list answer: InternalVolumeCdpListInfo and EachResourceRangeListState.
import { Type, type Static } from '@sinclair/typebox'
import fastJsonStringify from 'fast-json-stringify'
import { Int64, Output, StringEnum, Uint64, Uuid } from './common.js'

export const CDP_PRIORITIES = ['high', 'mid', 'low'] as const
export const CDP_STATES = ['on', 'off'] as const

export const CdpPriority = Type.Unsafe<typeof CDP_PRIORITIES[number]>({ ...StringEnum(CDP_PRIORITIES, '恢复优先级'), title: 'CdpPriority' })
export const CdpState = Type.Unsafe<typeof CDP_STATES[number]>({ ...StringEnum(CDP_STATES, 'cdp启用状态'), title: 'CdpState' })

/** The list querystring: page_num is 0-based; page_num=0&page_size=0 or both absent return everything. */
export const CdpListQuery = Type.Object({
  cluster_uuid: Uuid('集群uuid'),
  tenant: Type.Optional(Uuid('租户uuid')),
  filter_name: Type.Optional(Type.String({ maxLength: 256, description: '过滤关键字（匹配卷名称或卷uuid，不区分大小写）' })),
  page_num: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31, default: 0, description: '页码（从0开始）' })),
  page_size: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31, default: 0, description: '页长（0表示全部）' }))
})

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
  reserve_duration: Uint64('可恢复最近时长（秒）'),
  reserve_capacity: Uint64('占用CDP盘最大空间（字节）'),
  cdp_create_time: Int64('cdp创建时间（unix秒）'),
  cdp_state: CdpState,
  cdp_priority: CdpPriority
}, { title: 'InternalVolumeCdpListInfo', description: 'InternalVolumeCdpListInfo对象: one CDP volume of a list' })

export const EachResourceRangeListState = Type.Object({
  cluster_uuid: Type.String({ description: '集群uuid' }),
  cluster_name: Type.String({ description: '集群名称' }),
  cluster_mode: Type.String({ description: '集群模式' }),
  namespace_uuid: Type.String({ description: '命名空间uuid' }),
  result: Output(Type.String({ description: '恒为空字符串' }), 'RangeOutput'),
  total_count: Type.Integer({ description: '总数' })
}, { title: 'EachResourceRangeListState', description: 'EachResourceRangeListState对象: how one range (cluster × namespace) of a list fared' })

export const CdpListData = Type.Object({
  TotalCount: Type.Integer({ description: '总数' }),
  List: Type.Array(InternalVolumeCdpListInfo, { description: '卷cdp信息数组' }),
  each_range_list_state: Type.Array(EachResourceRangeListState, { description: '集群的操作结果数组' })
}, { title: 'CdpListData' })

const printList = fastJsonStringify(CdpListData.properties.List)

/**
 * List items as the list answer's JSON has them, comma-separated without the brackets: the
 * same compiler and schema as the route's own serialiser, so the same bytes. The one place
 * items are printed, in steps by the route or whole by a simulator off the main thread.
 */
export function printListItems (items: ReadonlyArray<Static<typeof InternalVolumeCdpListInfo>>): string {
  return printList(items as Array<Static<typeof InternalVolumeCdpListInfo>>).slice(1, -1)
}
