// A volume's CDP events (an extension beside the eight): what happened to its CDP, oldest first.
import { type Static, Type } from '@sinclair/typebox'
import { StringEnum, Uint64 } from './common.js'

/** Every kind of event; `from`/`to`/`seq`/`bytes`/`old`/`new` are present where the kind has them. */
export const EVENT_KINDS = [
  'enabled', 'disabled', 'policy_changed', 'auto_snapshot',
  'trimmed_by_duration', 'trimmed_by_capacity',
  'segment_opened', 'segment_closed', 'segment_cleaned', 'cdp_cleaned',
  'view_on', 'view_off', 'reverted', 'host_offline', 'host_online'
] as const
export type EventKind = typeof EVENT_KINDS[number]

/** The most events a volume keeps: older ones go as new ones come. */
export const EVENTS_KEPT_PER_VOLUME = 1000

const Policy = Type.Object({
  cdp_priority: Type.String({ description: 'cdp优先级' }),
  reserve_capacity: Uint64('预留容量（字节）'),
  reserve_duration: Uint64('预留时长（秒）')
})

export const CdpEvent = Type.Object({
  id: Uint64('事件序号，随时间递增'),
  time: Uint64('发生时间（ns）'),
  kind: StringEnum(EVENT_KINDS, '事件类型'),
  seq: Type.Optional(Uint64('日志段序号')),
  from: Type.Optional(Uint64('起始时间（ns）：被截短前的最早点、被清理日志段的开始')),
  to: Type.Optional(Uint64('时间（ns）：截短后的最早点、被清理日志段的结束、查看或回滚到的时间点')),
  bytes: Type.Optional(Uint64('截短释放的日志字节数')),
  old: Type.Optional(Policy),
  new: Type.Optional(Policy)
}, { title: 'CdpEvent', description: 'CdpEvent对象' })
export type CdpEvent = Static<typeof CdpEvent>
