// The protection window: the recoverable ranges (point-in-time.ts), and every stretch of
// time inside reserve_duration (and since the CDP was created) that is not recoverable, with
// the reason the simulator can tell: a segment on an offline host, a time its CDP disk failed
// or was full, a segment's time before its first snapshot, a cleaned segment, history
// trimmed by capacity, or CDP off.
import { NS_PER_SECOND, type Ns, type ProtectionSurvey } from '../src/backend/port.js'
import { pressureFacts } from '../src/protection-pressure.js'
import type { GapReason, WindowFacts } from '../src/schemas/window.js'
import { type CdpRow, fromStored, requireCdp } from './cdp.js'
import type { RecoverableRange } from './control.js'
import { type FaultSpan, faultSpansOf } from './disk-faults.js'
import { cleanedSpans, lastTrim, offSpans } from './events.js'
import { rangesOf, segmentSpans, type SegmentSpan } from './point-in-time.js'
import { durationCut } from './retention.js'
import type { Sql } from './sql.js'

interface Gap { from: Ns, to: Ns, reason: GapReason }

/** Whole seconds, rounded down: JSON numbers of this API are integers. */
const seconds = (ns: Ns): bigint => ns / NS_PER_SECOND

export function protectionWindow (sql: Sql, cdp: CdpRow, now: Ns): WindowFacts {
  const segments = segmentSpans(sql, cdp.volume_id, now)
  const faults = faultSpansOf(sql, cdp.volume_id)
  const ranges = rangesOf(segments, now, faults)
  const created = cdp.create_time * NS_PER_SECOND
  const cut = durationCut(cdp, now)
  const since = cut > created ? cut : created
  const oldest = ranges.reduce<Ns | null>((min, r) => min === null || r.from < min ? r.from : min, null)
  return {
    ranges,
    gaps: withoutRanges(explained(sql, cdp, segments, faults, since, now), ranges),
    configured_seconds: fromStored(cdp.reserve_duration),
    actual_seconds: oldest === null ? 0n : seconds(now - oldest),
    recoverable_seconds: seconds(ranges.reduce((sum, r) => sum + r.to - r.from, 0n)),
    on_seconds: cdp.on_since === null ? 0n : seconds(now - cdp.on_since),
    use: cdp.use,
    capacity: cdp.reserve_capacity
  }
}

/**
 * The first `limit` CDP volumes' windows against their policies, by volume uuid, of the
 * namespaces `served` (undefined: all; agents sharing one database each survey their slice).
 * Read only, like the journal gauges: what retention has settled so far.
 */
export function protectionSurvey (sql: Sql, now: Ns, limit: number, served?: ReadonlySet<string>): ProtectionSurvey {
  const slice = served === undefined ? null : JSON.stringify([...served])
  const inSlice = `FROM cdp JOIN volume v ON v.id = cdp.volume_id JOIN namespace n ON n.id = v.namespace_id
    WHERE ? IS NULL OR lower(n.uuid) IN (SELECT value FROM json_each(?))`
  const total = sql.get<{ n: bigint }>(`SELECT count(*) AS n ${inSlice}`, slice, slice)?.n ?? 0n
  const volumes = sql.all<{ id: bigint, uuid: string }>(`SELECT v.id, v.uuid ${inSlice} ORDER BY v.uuid LIMIT ?`, slice, slice, limit)
    .map(({ id, uuid }) => ({ volume_uuid: uuid, ...pressureFacts(protectionWindow(sql, requireCdp(sql, id), now)) }))
  return { volumes, omitted: Number(total) - volumes.length, unanswered: 0 }
}

/** Every stretch of [since, now] that no range can cover, each with its reason. */
function explained (sql: Sql, cdp: CdpRow, segments: SegmentSpan[], faults: Map<bigint, FaultSpan[]>, since: Ns, now: Ns): Gap[] {
  const gaps: Gap[] = []
  const add = (from: Ns, to: Ns, reason: GapReason): void => {
    const a = from > since ? from : since
    const b = to < now ? to : now
    if (a > b) return
    // One gap per run of one reason: pieces of the same reason that meet are joined.
    const last = gaps.at(-1)
    if (last !== undefined && last.reason === reason && last.to + 1n === a) last.to = b
    else gaps.push({ from: a, to: b, reason })
  }
  // Time outside every segment: the journal was off, a segment was cleaned, or history was trimmed.
  const hole = (from: Ns, to: Ns, beforeAll: boolean): void => {
    // Before all segments, the last trim's cut is the reason up to its oldest point, except
    // while CDP was off (a trim that took every snapshot puts that point at its own now); what
    // follows was not trimmed.
    const trim = beforeAll ? lastTrim(sql, cdp.volume_id) : undefined
    const cut = trim?.to ?? from
    const trimmed = cut - 1n < to ? cut - 1n : to
    const reason = trim?.kind === 'trimmed_by_capacity' ? 'trimmed_by_capacity' : 'no_base_snapshot'
    let at = from
    for (const off of trim === undefined ? [] : offSpans(sql, cdp.volume_id, now)) {
      if (off.to < at || off.from > trimmed) continue
      stretch(at, off.from - 1n, reason)
      stretch(off.from > at ? off.from : at, off.to < trimmed ? off.to : trimmed, 'disabled')
      at = off.to + 1n
    }
    stretch(at, trimmed, reason)
    stretch(cut > from ? cut : from, to, 'disabled')
  }
  // A stretch outside every segment: cleaned where a clean removed its segment, `otherwise` elsewhere.
  const stretch = (from: Ns, to: Ns, otherwise: GapReason): void => {
    if (from > to) return
    let at = from
    for (const span of cleanedSpans(sql, cdp.volume_id, from, to)) {
      if (span.from > at) add(at, span.from - 1n, otherwise)
      add(span.from > at ? span.from : at, span.to < to ? span.to : to, 'cleaned')
      if (span.to + 1n > at) at = span.to + 1n
    }
    if (at <= to) add(at, to, otherwise)
  }
  let cursor = since
  segments.forEach((s, i) => {
    hole(cursor, s.start - 1n, i === 0)
    const end = s.end ?? now
    if (!s.online) add(s.start, end, 'host_offline')
    else if (s.diskFailed) add(s.start, end, 'disk_failed')
    else if (s.first === null) add(s.start, end, 'no_base_snapshot')
    else {
      if (s.first > s.start) add(s.start, s.first - 1n, 'no_base_snapshot')
      // What the disk could not record: within the segment, after its first snapshot.
      for (const fault of faults.get(s.diskId) ?? []) {
        const to = fault.to ?? end
        add(fault.from > s.first ? fault.from : s.first, to < end ? to : end, fault.state === 'failed' ? 'disk_failed' : 'disk_full')
      }
    }
    cursor = end + 1n
  })
  hole(cursor, now, segments.length === 0)
  return gaps
}

/**
 * The gaps with every recoverable time taken out. Segments that roll over share their
 * boundary ns, and a segment closed in the ns it opened (no snapshot: [T, T] without a base)
 * lies inside the range of the segment opened next at T; the model reaches such histories
 * (MODEL_SEED=987429819: two of them in a row, joined into one gap of two ns). Both lists
 * are in time order, so one sweep does it.
 */
function withoutRanges (gaps: Gap[], ranges: RecoverableRange[]): Gap[] {
  const kept: Gap[] = []
  let first = 0
  for (const gap of gaps) {
    while (first < ranges.length && (ranges[first] as RecoverableRange).to < gap.from) first++
    let from = gap.from
    for (let k = first; k < ranges.length && (ranges[k] as RecoverableRange).from <= gap.to; k++) {
      const range = ranges[k] as RecoverableRange
      if (range.from > from) kept.push({ ...gap, from, to: range.from - 1n })
      if (range.to >= from) from = range.to + 1n
    }
    if (from <= gap.to) kept.push({ ...gap, from })
  }
  return kept
}
