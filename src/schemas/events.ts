// A volume's CDP events (an extension beside the eight): what happened to its CDP, oldest first.
import { type Static, Type } from '@sinclair/typebox'
import { StringEnum, Uint64, Uint64Query } from './common.js'
import { InternalVolumeIdentifier } from './volume.js'

/** Every kind of event; `from`/`to`/`seq`/`bytes`/`old`/`new` are present where the kind has them. */
export const EVENT_KINDS = [
  'enabled', 'disabled', 'policy_changed', 'auto_snapshot',
  'trimmed_by_duration', 'trimmed_by_capacity',
  'segment_opened', 'segment_closed', 'segment_cleaned', 'cdp_cleaned',
  'view_on', 'view_off', 'reverted', 'host_offline', 'host_online',
  'disk_failed', 'disk_full', 'disk_ok'
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

/** One page of a volume's events, oldest first, and how many match in all. */
export const CdpEventsData = Type.Object({
  total_count: Type.Integer({ minimum: 0, description: '符合条件的事件总数' }),
  events: Type.Array(CdpEvent, { description: '事件，按发生顺序' })
}, { title: 'CdpEventsData' })
export type CdpEventsPage = Static<typeof CdpEventsData>

/** What a backend is asked: events after `since` (ns), page_num 0-based, page_size 0 for all. */
export interface EventsQuery { since?: bigint, page_num: number, page_size: number }

export const CdpEventsQuery = Type.Composite([InternalVolumeIdentifier, Type.Object({
  since: Type.Optional(Uint64Query('只返回此时间（ns）之后的事件')),
  page_num: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31, default: 0, description: '页码（从0开始）' })),
  page_size: Type.Optional(Type.Integer({ minimum: 0, maximum: EVENTS_KEPT_PER_VOLUME, default: 0, description: '页长（0表示全部）' }))
})], { title: 'CdpEventsQuery' })
