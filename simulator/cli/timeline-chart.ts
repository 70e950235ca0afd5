// What `cdp-sim timeline` prints: a volume's recoverable window drawn on one time axis (a row
// for the window, a row per journal segment with its snapshots as marks, the view's point),
// then each segment in words: disk, online, span, snapshots, use against capacity, and the
// gaps between ranges. Pure: the same model prints the same text.
import { bar, formatBytes, formatDuration, formatPercent, formatTime, paint, type Style } from './format.js'

export interface Snapshot { name: string, time: bigint }

export interface Segment {
  seq: bigint
  startTime: bigint
  ioLastTime: bigint
  use: bigint
  capacity: bigint
  online: boolean
  usd_maddr: string
  usd_path: string
  snaps: Snapshot[]
}

export interface Range { from: bigint, to: bigint, seq: bigint }

export interface TimelineModel {
  volume: string
  cluster: string
  now: bigint
  clockMode: string
  ranges: Range[]
  segments: Segment[]
  /** The host a view is exposed on and the point it shows; absent without a view. */
  view?: { host: string, time?: bigint }
}

export interface ChartOptions {
  /** Columns to fill. */
  width: number
  color: boolean
  /** Print each time's ns too. */
  raw: boolean
}

const LABEL = 12
const MAX_BAR = 100
const USE_BAR = 20
/** Snapshots listed per segment before the middle ones are summarised. */
const SNAPSHOTS_LISTED = 6

/** Recoverable time as the ranges cover it: overlapping or touching ranges merged. */
function merge (ranges: Range[]): Array<{ from: bigint, to: bigint }> {
  const merged: Array<{ from: bigint, to: bigint }> = []
  for (const { from, to } of [...ranges].sort((a, b) => a.from < b.from ? -1 : a.from > b.from ? 1 : 0)) {
    const last = merged.at(-1)
    if (last !== undefined && from <= last.to) last.to = to > last.to ? to : last.to
    else merged.push({ from, to })
  }
  return merged
}

function gapsOf (merged: Array<{ from: bigint, to: bigint }>): Array<{ from: bigint, to: bigint }> {
  return merged.slice(1).map((range, i) => ({ from: merged[i]?.to ?? range.from, to: range.from }))
}

/** Where a segment's history lies: its recoverable range, else (offline) its start to its last write or snapshot. */
function spanOf (segment: Segment, ranges: Range[]): { from: bigint, to: bigint, recoverable: boolean } {
  const range = ranges.find((r) => r.seq === segment.seq)
  if (range !== undefined) return { from: range.from, to: range.to, recoverable: true }
  const to = [segment.ioLastTime, ...segment.snaps.map((s) => s.time)].reduce((max, t) => t > max ? t : max, segment.startTime)
  return { from: segment.startTime, to, recoverable: false }
}

/** One row of cells over the axis. */
class Row {
  readonly cells: Array<{ char: string, style?: Style }>
  constructor (width: number, private readonly col: (t: bigint) => number) {
    this.cells = Array.from({ length: width }, () => ({ char: ' ' }))
  }

  fill (from: bigint, to: bigint, char: string, style: Style): this {
    for (let c = this.col(from); c <= this.col(to); c++) this.cells[c] = { char, style }
    return this
  }

  mark (t: bigint, char: string, style: Style): this {
    this.cells[this.col(t)] = { char, style }
    return this
  }

  text (color: boolean): string {
    return this.cells.map(({ char, style }) => style === undefined ? char : paint(color, style, char)).join('').trimEnd()
  }
}

function snapshotLines (snaps: Snapshot[], raw: boolean): string[] {
  const line = (s: Snapshot): string => `    ${s.name}  ${formatTime(s.time, raw)}`
  if (snaps.length <= SNAPSHOTS_LISTED) return snaps.map(line)
  const half = SNAPSHOTS_LISTED / 2
  return [...snaps.slice(0, half).map(line), `    … ${snaps.length - 2 * half} more …`, ...snaps.slice(-half).map(line)]
}

export function renderTimeline (model: TimelineModel, { width, color, raw }: ChartOptions): string[] {
  const label = (text: string, style: Style = 'bold'): string => paint(color, style, text.padEnd(LABEL))
  const segments = [...model.segments].sort((a, b) => a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0)
  const merged = merge(model.ranges)
  const gaps = gapsOf(merged)
  const spans = segments.map((s) => spanOf(s, model.ranges))
  const recoverableNs = merged.reduce((sum, r) => sum + r.to - r.from, 0n)

  const lines = [
    `${label('volume')}${model.volume}  cluster ${model.cluster}`,
    `${label('now')}${formatTime(model.now, raw)}  (${model.clockMode} clock)`
  ]
  const first = merged[0]
  const last = merged.at(-1)
  if (first === undefined || last === undefined) {
    lines.push(`${label('window')}nothing recoverable (journal segments: ${segments.length})`)
  } else {
    lines.push(`${label('window')}${formatTime(first.from, raw)} → ${formatTime(last.to, raw)}`)
    lines.push(`${label('')}${formatDuration(recoverableNs)} recoverable in ${merged.length} range${merged.length === 1 ? '' : 's'}, ${gaps.length} gap${gaps.length === 1 ? '' : 's'}`)
  }
  if (segments.length === 0) return lines

  // The axis runs from the oldest history shown to now.
  const start = spans.reduce((min, s) => s.from < min ? s.from : min, merged[0]?.from ?? model.now)
  const end = model.now > start ? model.now : start + 1n
  const cells = Math.max(10, Math.min(MAX_BAR, width - LABEL))
  const col = (t: bigint): number => t <= start ? 0 : t >= end ? cells - 1 : Number((t - start) * BigInt(cells - 1) / (end - start))
  const row = (): Row => new Row(cells, col)
  const startLabel = formatTime(start).slice(0, 19)
  const endLabel = `${formatTime(end).slice(0, 19)} UTC`

  lines.push('', `${label('')}${startLabel}${endLabel.padStart(Math.max(1, cells - startLabel.length))}`)
  lines.push(`${label('')}${paint(color, 'dim', `├${'─'.repeat(cells - 2)}┤`)}`)
  const window = row().fill(start, end, '·', 'yellow')
  for (const r of merged) window.fill(r.from, r.to, '█', 'green')
  // A gap narrower than a column would vanish under its neighbours: keep one mark of it.
  for (const gap of gaps.filter((g) => col(g.to) - col(g.from) <= 1)) window.mark(gap.from, '·', 'yellow')
  lines.push(`${label('recoverable')}${window.text(color)}`)
  segments.forEach((segment, i) => {
    const span = spans[i] ?? spanOf(segment, model.ranges)
    const line = row().fill(span.from, span.to, span.recoverable ? '█' : '░', span.recoverable ? 'green' : 'red')
    lines.push(`${label(`seq ${segment.seq}`)}${line.text(color)}`)
    const marks = row()
    for (const snap of segment.snaps) marks.mark(snap.time, '▲', 'cyan')
    lines.push(`${label('  snapshots')}${marks.text(color)}`)
  })
  if (model.view?.time !== undefined) lines.push(`${label('view')}${row().mark(model.view.time, '◆', 'magenta').text(color)}`)

  lines.push('')
  segments.forEach((segment, i) => {
    const span = spans[i] ?? spanOf(segment, model.ranges)
    const state = segment.online ? paint(color, 'green', 'online') : paint(color, 'red', 'offline')
    lines.push(`${label(`seq ${segment.seq}`)}${segment.usd_maddr}:${segment.usd_path}  ${state}${span.recoverable ? '' : '  (not recoverable)'}`)
    lines.push(`${label('  span')}${formatTime(span.from, raw)} → ${formatTime(span.to, raw)} (${formatDuration(span.to - span.from)})`)
    lines.push(`${label('  use')}${bar(segment.capacity === 0n ? 0 : Number(segment.use * 10_000n / segment.capacity) / 10_000, USE_BAR)} ${formatBytes(segment.use)} of ${formatBytes(segment.capacity)} (${formatPercent(segment.use, segment.capacity)})`)
    lines.push(`${label('  snapshots')}${segment.snaps.length}`, ...snapshotLines(segment.snaps, raw))
    for (const gap of gaps.filter((g) => span.recoverable && g.from === span.to)) {
      lines.push(`${label('gap', 'yellow')}${formatTime(gap.from, raw)} → ${formatTime(gap.to, raw)} (${formatDuration(gap.to - gap.from)}) not recoverable`)
    }
  })
  const view = model.view
  lines.push(view === undefined
    ? `${label('view')}none`
    : `${label('view')}on host ${view.host}${view.time === undefined ? '' : ` at ${formatTime(view.time, raw)}`}`)
  return lines
}
