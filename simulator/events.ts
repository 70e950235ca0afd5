// Events: each rule module records what it did to a volume's CDP; a volume keeps the newest
// EVENTS_KEPT_PER_VOLUME, so the table stays bounded however long the volume lives.
import type { Ns } from '../src/backend/port.js'
import { EVENTS_KEPT_PER_VOLUME, type CdpEvent, type CdpEventsPage, type EventKind, type EventsQuery } from '../src/schemas/events.js'
import type { Sql } from './sql.js'

export interface EventFields {
  seq?: bigint | null
  from?: Ns
  to?: Ns
  bytes?: bigint
  old?: CdpEvent['old']
  new?: CdpEvent['new']
}

export function recordEvent (sql: Sql, volumeId: bigint, time: Ns, kind: EventKind, fields: EventFields = {}): void {
  const detail = fields.old === undefined && fields.new === undefined
    ? null
    : JSON.stringify({ old: fields.old, new: fields.new }, (_, value: unknown) => typeof value === 'bigint' ? value.toString() : value)
  sql.run('INSERT INTO event (volume_id, time, kind, seq, from_time, to_time, bytes, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    volumeId, time, kind, fields.seq ?? null, fields.from ?? null, fields.to ?? null, fields.bytes ?? null, detail)
  sql.run(`DELETE FROM event WHERE volume_id = ? AND id <=
    (SELECT id FROM event WHERE volume_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`, volumeId, volumeId, EVENTS_KEPT_PER_VOLUME)
}

/** The newest trim of the volume's history, if one is still kept. */
export function lastTrim (sql: Sql, volumeId: bigint): { kind: EventKind, to: Ns } | undefined {
  return sql.get<{ kind: EventKind, to: Ns }>(`SELECT kind, to_time AS "to" FROM event
    WHERE volume_id = ? AND kind IN ('trimmed_by_duration', 'trimmed_by_capacity') ORDER BY id DESC LIMIT 1`, volumeId)
}

/** The spans of cleaned segments (kept events) that overlap [from, to], oldest first. */
export function cleanedSpans (sql: Sql, volumeId: bigint, from: Ns, to: Ns): Array<{ from: Ns, to: Ns }> {
  return sql.all<{ from: Ns, to: Ns }>(`SELECT from_time AS "from", to_time AS "to" FROM event
    WHERE volume_id = ? AND kind = 'segment_cleaned' AND from_time <= ? AND to_time >= ? ORDER BY from_time`, volumeId, to, from)
}

/**
 * The spans CDP was off, from the kept events, oldest first: from the ns after each disable to the
 * ns before the enable that followed it, or to `now`. A span whose disable was pruned is not known.
 */
export function offSpans (sql: Sql, volumeId: bigint, now: Ns): Array<{ from: Ns, to: Ns }> {
  const spans: Array<{ from: Ns, to: Ns }> = []
  let offFrom: Ns | undefined
  for (const { kind, time } of sql.all<{ kind: EventKind, time: Ns }>(`SELECT kind, time FROM event
    WHERE volume_id = ? AND kind IN ('enabled', 'disabled') ORDER BY id`, volumeId)) {
    if (kind === 'disabled') offFrom = time + 1n
    else if (offFrom !== undefined) {
      spans.push({ from: offFrom, to: time - 1n })
      offFrom = undefined
    }
  }
  if (offFrom !== undefined) spans.push({ from: offFrom, to: now })
  return spans
}

/** A host going offline or online is an event of every volume with a segment on its CDP disks. */
export function recordHostState (sql: Sql, hostId: bigint, online: boolean, now: Ns): void {
  const volumes = sql.all<{ volume_id: bigint }>(`SELECT DISTINCT s.volume_id FROM segment s
    JOIN cdp_disk d ON d.id = s.disk_id WHERE d.host_id = ?`, hostId)
  for (const { volume_id: volumeId } of volumes) recordEvent(sql, volumeId, now, online ? 'host_online' : 'host_offline')
}

interface EventRow { id: bigint, time: Ns, kind: EventKind, seq: bigint | null, from_time: Ns | null, to_time: Ns | null, bytes: bigint | null, detail: string | null }

/** A page of the volume's kept events after `since`, oldest first. */
export function eventsOf (sql: Sql, volumeId: bigint, { since, page_num: pageNum, page_size: pageSize }: EventsQuery): CdpEventsPage {
  const after = since ?? -1n
  const total = sql.get<{ n: bigint }>('SELECT count(*) AS n FROM event WHERE volume_id = ? AND time > ?', volumeId, after)?.n ?? 0n
  const rows = sql.all<EventRow>('SELECT * FROM event WHERE volume_id = ? AND time > ? ORDER BY id LIMIT ? OFFSET ?',
    volumeId, after, pageSize === 0 ? -1 : pageSize, pageNum * pageSize)
  return { total_count: Number(total), events: rows.map(toEvent) }
}

function toEvent (row: EventRow): CdpEvent {
  const event: CdpEvent = { id: row.id, time: row.time, kind: row.kind }
  if (row.seq !== null) event.seq = row.seq
  if (row.from_time !== null) event.from = row.from_time
  if (row.to_time !== null) event.to = row.to_time
  if (row.bytes !== null) event.bytes = row.bytes
  if (row.detail !== null) {
    const { old, new: next } = JSON.parse(row.detail) as Record<'old' | 'new', Record<string, string>>
    event.old = policyOf(old)
    event.new = policyOf(next)
  }
  return event
}

const policyOf = (stored: Record<string, string> | undefined): NonNullable<CdpEvent['old']> => ({
  cdp_priority: stored?.cdp_priority ?? '',
  reserve_capacity: BigInt(stored?.reserve_capacity ?? 0),
  reserve_duration: BigInt(stored?.reserve_duration ?? 0)
})
