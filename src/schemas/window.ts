// The protection window (an extension beside the eight): which times of a volume's history
// can be recovered, which cannot and why, and how the journal fares against its policy.
import { type Static, Type } from '@sinclair/typebox'
import { StringEnum, Uint64 } from './common.js'

/** Why a stretch of time inside reserve_duration cannot be recovered. */
export const GAP_REASONS = [
  'cleaned', 'host_offline', 'disabled', 'disk_failed', 'disk_full', 'trimmed_by_capacity', 'no_base_snapshot'
] as const
export type GapReason = typeof GAP_REASONS[number]

export const PRESSURES = ['ok', 'warning', 'shrinking'] as const
export type Pressure = typeof PRESSURES[number]

export const RecoverableRange = Type.Object({
  from: Uint64('最早可恢复时间（ns，含）'),
  to: Uint64('最晚可恢复时间（ns，含）'),
  seq: Uint64('日志段序号')
}, { title: 'RecoverableRange', description: 'RecoverableRange对象：其间每个时间都可恢复' })

export const WindowGap = Type.Object({
  from: Uint64('不可恢复起始时间（ns，含）'),
  to: Uint64('不可恢复结束时间（ns，含）'),
  reason: StringEnum(GAP_REASONS, '原因')
}, { title: 'WindowGap', description: 'WindowGap对象：其间每个时间都不可恢复' })

/** What a backend knows of the window; the API adds `pressure` (its threshold is the API's setting). */
export const WindowFacts = Type.Object({
  ranges: Type.Array(RecoverableRange, { description: '可恢复区间，按时间排序' }),
  gaps: Type.Array(WindowGap, { description: 'reserve_duration内不可恢复的区间，按时间排序' }),
  configured_seconds: Uint64('配置的保护时长（reserve_duration，秒）'),
  actual_seconds: Uint64('实际保护时长：当前时间减最早可恢复时间（整秒，向下取整）'),
  recoverable_seconds: Uint64('可恢复区间总长（整秒，向下取整）'),
  on_seconds: Uint64('CDP连续开启的时长（整秒，向下取整），关闭时为0'),
  use: Uint64('日志已用空间（字节）'),
  capacity: Uint64('日志容量（reserve_capacity，字节）')
}, { title: 'WindowFacts', description: 'WindowFacts对象: what a backend knows of the window' })
export type WindowFacts = Static<typeof WindowFacts>

export const ProtectionWindow = Type.Composite([WindowFacts, Type.Object({
  pressure: StringEnum(PRESSURES, 'ok；warning：actual_seconds低于配置的比例；shrinking：容量回收正在截短历史')
})], { title: 'ProtectionWindow', description: 'ProtectionWindow对象' })
export type ProtectionWindow = Static<typeof ProtectionWindow>

/**
 * One CDP volume's history against its policy, as the protection gauges need it (what
 * `pressure` is decided from, without the ranges and gaps).
 */
export const ProtectionStanding = Type.Object({
  volume_uuid: Type.String({ description: '卷uuid' }),
  configured_seconds: WindowFacts.properties.configured_seconds,
  actual_seconds: WindowFacts.properties.actual_seconds,
  on_seconds: WindowFacts.properties.on_seconds,
  trimmed_by_capacity: Type.Boolean({ description: '容量回收正在截短历史（窗口中有trimmed_by_capacity间隙）' })
}, { title: 'ProtectionStanding', description: 'ProtectionStanding对象: a volume\'s window against its policy' })
export type ProtectionStanding = Static<typeof ProtectionStanding>

/** The first `limit` CDP volumes' standings (by volume_uuid), and how many CDP volumes there are. */
export const ProtectionStandings = Type.Object({
  total_count: Type.Integer({ minimum: 0 }),
  volumes: Type.Array(ProtectionStanding)
}, { title: 'ProtectionStandings', description: 'ProtectionStandings对象' })
export type ProtectionStandings = Static<typeof ProtectionStandings>
