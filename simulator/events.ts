// Events: each rule module records what it did to a volume's CDP; a volume keeps the newest
// EVENTS_KEPT_PER_VOLUME, so the table stays bounded however long the volume lives.
import type { Ns } from '../src/backend/port.js'
import { EVENTS_KEPT_PER_VOLUME, type CdpEvent, type EventKind } from '../src/schemas/events.js'
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
