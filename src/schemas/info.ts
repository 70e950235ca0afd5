// The spec's info/view answer: CdpInfoResponse (one journal segment) and CdpSnapshotInfo.
import { Type } from '@sinclair/typebox'
import { Uint64 } from './common.js'

export const CdpSnapshotInfo = Type.Object({
  name: Type.String({ description: 'io快照名' }),
  time: Uint64('io快照创建时间')
}, { description: 'CdpSnapshotInfo对象' })

export const CdpInfoStatus = Type.Object({
  code: Type.Integer({ description: '状态码' }),
  message: Type.String({ description: '信息' }),
  messageCn: Type.String({ description: '中文信息' }),
  stack: Type.Null({ description: '调用栈' }),
  desc: Type.String({ description: '详情' }),
  UUID: Type.String({ description: 'uuid' })
})

export const CdpInfoResponse = Type.Object({
  status: CdpInfoStatus,
  snaps: Type.Array(CdpSnapshotInfo, { description: 'cdp快照信息数组' }),
  seq: Uint64('序号'),
  startTime: Uint64('开始时间'),
  use: Uint64('已用空间'),
  capacity: Uint64('容量'),
  ioStartTime: Uint64('io开始时间'),
  ioLastTime: Uint64('io结束时间'),
  online: Type.Boolean({ description: '状态' }),
  usd_maddr: Type.String({ description: '承载主机ip' }),
  usd_path: Type.String({ description: '承载盘' })
}, { description: 'CdpInfoResponse对象' })

export const InfoData = Type.Object({
  cdp_info: Type.Array(CdpInfoResponse, { description: 'cdp信息数组' }),
  host_uuid: Type.String({ description: '主机uuid' })
})

/** view answers as info does, with no segments: `cdp_info` is null (as in the spec). */
export const ViewData = Type.Object({
  cdp_info: Type.Null({ description: 'cdp信息数组（view时为null）' }),
  host_uuid: Type.String({ description: '主机uuid' })
})
