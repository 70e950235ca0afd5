// The spec's info/view answer: CdpInfoResponse (one journal segment) and CdpSnapshotInfo.
import { Type } from '@sinclair/typebox'
import { Nullable, Uint64 } from './common.js'

export const CdpSnapshotInfo = Type.Object({
  name: Type.String({ description: 'io快照名' }),
  time: Uint64('io快照创建时间（纳秒）')
}, { title: 'CdpSnapshotInfo', description: 'CdpSnapshotInfo对象: an auto snapshot, a base point of the journal' })

export const CdpInfoStatus = Type.Object({
  code: Type.Integer({ description: '状态码' }),
  message: Type.String({ description: '信息' }),
  messageCn: Type.String({ description: '中文信息' }),
  stack: Nullable(Type.String({ description: '调用栈（恒为null）' })),
  desc: Type.String({ description: '详情' }),
  UUID: Type.String({ description: 'uuid' })
}, { title: 'CdpInfoStatus', description: 'How the segment answered (empty when it did)' })

/** One journal segment as the backend reports it: the spec's CdpInfoResponse without `status`. */
export const CdpSegment = Type.Object({
  snaps: Type.Array(CdpSnapshotInfo, { description: 'cdp快照信息数组' }),
  seq: Uint64('序号'),
  startTime: Uint64('开始时间（纳秒）'),
  use: Uint64('已用空间（字节）'),
  capacity: Uint64('容量（字节）'),
  ioStartTime: Uint64('io开始时间（纳秒）'),
  ioLastTime: Uint64('io结束时间（纳秒）'),
  online: Type.Boolean({ description: '状态' }),
  usd_maddr: Type.String({ description: '承载主机ip' }),
  usd_path: Type.String({ description: '承载盘' })
}, { title: 'CdpSegment' })

export const CdpInfoResponse = Type.Object({
  status: CdpInfoStatus,
  ...CdpSegment.properties
}, { title: 'CdpInfoResponse', description: 'CdpInfoResponse对象: one journal segment' })

/** What the backend answers for info: the segments and the view's host. */
export const CdpInfo = Type.Object({
  cdp_info: Type.Array(CdpSegment),
  host_uuid: Type.String()
})

export const CdpInfoData = Type.Object({
  cdp_info: Type.Array(CdpInfoResponse, { description: 'cdp信息数组' }),
  host_uuid: Type.String({ description: '主机uuid（卷的cdp查看所在主机，无查看时为""）' })
}, { title: 'CdpInfoData' })

/** view answers as info does, with no segments: `cdp_info` is null (as in the spec). */
export const CdpViewData = Type.Object({
  cdp_info: Nullable(Type.Array(CdpInfoResponse, { description: 'cdp信息数组（view时为null）' })),
  host_uuid: Type.String({ description: '主机uuid（查看所在主机；off时为""）' })
}, { title: 'CdpViewData' })
