/**
 * An independent reference model of the simulator's CDP rules, for one cluster's volumes on
 * one manual clock. It shares no code with simulator/ (its own block contents, digests and
 * constants) and keeps every live change of every volume, so for every time it can say what
 * the image was and whether that time must still be recoverable. Written from DESIGN §4/§7,
 * issue 13 and the behaviour of simulator/simulator.ts; the rules, as this model holds them:
 *
 * Clock and changes
 * - Times are ns. The clock moves only when told. Changes on a volume's timeline are writes,
 *   reverts, enables, disables and views (on and off); a change that would land
 *   on the ns of that volume's previous change first moves the clock 1 ns forward (and so
 *   every volume's retention cut). The timeline is the CDP's: it starts when the CDP is
 *   created, ends with a clean of the whole CDP, and a volume without one steps nothing.
 *
 * Images
 * - A volume is 4096-byte blocks, all zero at first; a write call sets blocks at one ns.
 * - The image at T is every write at or before T applied in order; a revert is an ordinary
 *   write of the blocks whose content differs from the image at its point.
 *
 * Journal
 * - A CDP is created off by `edit` (or on by `enable` with 10 GiB, 1 day, mid); its fold
 *   point starts at its creation time and its seqs at 0, each opened segment taking the next.
 * - While on, every block of every write is one journal row (4096 bytes of use) in the active
 *   segment; a segment holds min(reserve_capacity, segment size) bytes at the time it opened,
 *   and at least one row: when the next row would not fit, it closes at now and the next opens
 *   at now (one write may span segments, all at one ns).
 * - Enable opens a segment and journals, at its ns, each block whose live content differs from
 *   the journal's newest image (base plus rows). Disable closes the active segment at now.
 *
 * Auto snapshots
 * - A segment's first snapshot falls due at its opening, so it is recoverable from its start;
 *   then one every interval after that while CDP is on. Names are CDP-auto-<seconds>, at most
 *   one a second in a segment (two segments may share a name). Due ticks are taken when the
 *   volume is next touched, in the segment then active, except those already older than
 *   now − reserve_duration.
 *
 * Retention (after every change of data or time)
 * - Duration: a snapshot whose time is before now − reserve_duration is gone; one exactly at
 *   that time stays.
 * - Capacity: while journal use exceeds reserve_capacity (use equal to it is fine), the oldest
 *   whole instants of rows go: every snapshot before the last instant needed is gone.
 * - Fold: when the oldest snapshot is later than the fold point, every row at or before it
 *   folds into the base and the fold point moves there (over capacity, rows at the fold point
 *   fold too); with no snapshot left, everything up to now folds. Segments starting before the
 *   fold point start at it; a closed segment with no rows and no snapshot is gone.
 *
 * Points in time
 * - A segment with snapshots is recoverable from its oldest snapshot to its end (now while
 *   active); a point names a snapshot of that segment at or before it. Nothing else is
 *   recoverable: not the CDP-off gap after a segment closed, not a time before the oldest
 *   snapshot, not a time after now.
 * - View on keeps the image at its point; revert is refused while a view is on.
 * - A view pins its point: while it is on, duration still drops snapshots (its point may stop
 *   being one to name) but nothing after the point folds, and capacity waits (use may pass
 *   reserve_capacity). View off applies both limits in its own call.
 *
 * Clean
 * - Whole CDP: refused while on or while a view is on; removes everything but the live image.
 * - One segment: refused for the active one and the one a view is on; its snapshots go; if it
 *   is the oldest segment its rows fold (the fold point moves to its end), otherwise rows at
 *   the previous segment's end ns move to that segment, the newest row per block moves to the
 *   next segment (if any) at that segment's start, and the rest go; then retention runs.
 */
import { type Content, type Image, ZERO, sameContent } from './content.js'

export const NS = 1_000_000_000n
const ROW_BYTES = 4096n
const DEFAULT_POLICY = { capacity: 10n * 1024n ** 3n, duration: 86_400n }

export interface Policy { capacity: bigint, duration: bigint, priority: string }

export interface Range { from: bigint, to: bigint, seq: bigint }

/** A point as view and revert name it. */
export interface Point { snapshot: string, time: bigint }

/** Auto snapshots are named for the whole second they were taken in (the spec's CDP-auto-<unix seconds>). */
export const snapshotName = (time: bigint): string => `CDP-auto-${time / NS}`

interface Row { id: number, time: bigint, seq: bigint, block: number, content: Content }

interface Segment {
  seq: bigint
  start: bigint
  end: bigint | null
  capacity: bigint
  /** Snapshot times, ascending. */
  snapshots: bigint[]
}

interface Cdp {
  policy: Policy
  on: boolean
  nextSeq: bigint
  foldPoint: bigint
  nextTick: bigint | null
  segments: Segment[]
  rows: Row[]
  base: Map<number, Content>
}

interface Change { time: bigint, blocks: ReadonlyMap<number, Content> }

/** The scode names the model expects; the test compares them with what the simulator reports. */
export type Outcome = 'ok' | 'CDP_NOT_FOUND' | 'CDP_IS_ON' | 'VIEW_IS_ON' | 'VIEW_ALREADY_ON' | 'VIEW_NOT_FOUND' |
  'SEGMENT_ACTIVE' | 'SEGMENT_NOT_FOUND' | 'POINT_NOT_RECOVERABLE' | 'SNAPSHOT_NOT_FOUND' | 'SNAPSHOT_NOT_BASE' |
  'INVALID_POLICY'

class VolumeModel {
  readonly changes: Change[] = []
  lastChange: bigint | null = null
  cdp: Cdp | undefined
  view: { time: bigint, seq: bigint, image: Image } | undefined
  private rowIds = 0

  constructor (private readonly model: CdpModel) {}

  live (): Map<number, Content> {
    return this.imageAt(null)
  }

  /** Every change at or before `time` (null: all), in order. */
  imageAt (time: bigint | null): Map<number, Content> {
    const image = new Map<number, Content>()
    for (const change of this.changes) {
      if (time !== null && change.time > time) break
      for (const [block, content] of change.blocks) image.set(block, content)
    }
    return image
  }

  ranges (): Range[] {
    if (this.cdp === undefined) return []
    return this.cdp.segments.filter((s) => s.snapshots.length > 0)
      .map((s) => ({ from: s.snapshots[0] as bigint, to: s.end ?? this.model.now, seq: s.seq }))
  }

  use (seq?: bigint): bigint {
    const rows = this.cdp?.rows ?? []
    return BigInt(rows.filter((r) => seq === undefined || r.seq === seq).length) * ROW_BYTES
  }

  segments (): ReadonlyArray<Readonly<Segment>> {
    return this.cdp?.segments ?? []
  }

  /** The ns a change made now lands on, moving the clock as the ns rule says. */
  changeTime (): bigint {
    // The timeline is the CDP's: a volume without one has no points to keep apart.
    if (this.cdp === undefined) {
      this.lastChange = null
      return this.model.now
    }
    if (this.lastChange !== null && this.model.now <= this.lastChange) {
      this.model.now = this.lastChange + 1n
      // The clock is the cluster's: the step moves every other volume's retention cut as well.
      for (const other of this.model.volumes) if (other !== this) other.settle()
    }
    this.lastChange = this.model.now
    return this.model.now
  }

  /** Whether a change now would land on the ns of this volume's previous change. */
  wouldCollide (): boolean {
    return this.cdp !== undefined && this.lastChange !== null && this.model.now <= this.lastChange
  }

  write (blocks: ReadonlyMap<number, Content>): bigint {
    const time = this.changeTime()
    this.applyWrite(blocks, time)
    return time
  }

  private applyWrite (blocks: ReadonlyMap<number, Content>, time: bigint): void {
    this.changes.push({ time, blocks })
    if (this.cdp === undefined) return
    if (this.cdp.on) this.journal(blocks, time)
    this.settle()
  }

  edit (policy: Policy): Outcome {
    if ((policy.capacity < ROW_BYTES || policy.duration === 0n)) return 'INVALID_POLICY'
    if (this.cdp === undefined) {
      this.cdp = this.create(policy)
      return 'ok'
    }
    this.settle()
    this.cdp.policy = { ...policy }
    this.settle()
    return 'ok'
  }

  enable (): Outcome {
    this.cdp ??= this.create({ ...DEFAULT_POLICY, priority: 'mid' })
    const cdp = this.cdp
    if (cdp.on) return 'ok'
    const time = this.changeTime()
    this.settle()
    cdp.on = true
    this.openSegment(time)
    const end = this.journalImage()
    const differs = new Map<number, Content>()
    for (const [block, content] of this.live()) if (!sameContent(end.get(block), content)) differs.set(block, content)
    if (differs.size > 0) this.journal(differs, time)
    this.settle()
    return 'ok'
  }

  disable (): Outcome {
    const cdp = this.cdp
    if (cdp === undefined) return 'CDP_NOT_FOUND'
    if (!cdp.on) return 'ok'
    const time = this.changeTime()
    this.settle()
    const active = cdp.segments.find((s) => s.end === null)
    if (active !== undefined) active.end = time
    cdp.on = false
    cdp.nextTick = null
    return 'ok'
  }

  /** The ranges that hold `time`: it must be recoverable exactly when there is one. */
  rangesHolding (time: bigint): Range[] {
    return this.ranges().filter((r) => r.from <= time && time <= r.to)
  }

  /** The snapshot a client names for `time` in segment `seq`: the newest of that segment at or before it. */
  baseSnapshot (time: bigint, seq: bigint): string | undefined {
    const segment = this.cdp?.segments.find((s) => s.seq === seq)
    const base = segment?.snapshots.filter((t) => t <= time).at(-1)
    return base === undefined ? undefined : snapshotName(base)
  }

  /**
   * How view and revert judge a (snapshot, timestamp) pair: the snapshot exists, and its
   * segment holds the time from it on. Segments opened in one second share a name: the
   * snapshot meant is the newest of that name at or before the time (else the newest).
   */
  private judgePoint (point: Point): Outcome | Segment {
    const named = (this.cdp?.segments ?? []).flatMap((segment) => segment.snapshots.filter((t) => snapshotName(t) === point.snapshot).map((time) => ({ segment, time })))
      .sort((a, b) => a.time < b.time ? -1 : 1)
    const bound = point.time < this.model.now ? point.time : this.model.now
    const snapshot = named.filter((n) => n.time <= bound).at(-1) ?? named.at(-1)
    if (snapshot === undefined) return 'SNAPSHOT_NOT_FOUND'
    if (point.time > this.model.now) return 'POINT_NOT_RECOVERABLE'
    if (point.time < snapshot.time || point.time > (snapshot.segment.end ?? this.model.now)) return 'SNAPSHOT_NOT_BASE'
    return snapshot.segment
  }

  revert (point: Point): Outcome {
    if (this.cdp === undefined) return 'CDP_NOT_FOUND'
    this.settle()
    if (this.view !== undefined) return 'VIEW_IS_ON'
    const judged = this.judgePoint(point)
    if (typeof judged === 'string') return judged
    const to = point.time
    const target = this.imageAt(to)
    const changed = new Map<number, Content>()
    for (const [block, content] of [...this.live()].sort(([a], [b]) => a - b)) {
      const wanted = target.get(block) ?? ZERO
      if (!sameContent(wanted, content)) changed.set(block, wanted)
    }
    this.applyWrite(changed, this.changeTime())
    return 'ok'
  }

  viewOn (point: Point): Outcome {
    if (this.cdp === undefined) return 'CDP_NOT_FOUND'
    this.settle()
    if (this.view !== undefined) return 'VIEW_ALREADY_ON'
    const judged = this.judgePoint(point)
    if (typeof judged === 'string') return judged
    this.changeTime()
    this.view = { time: point.time, seq: judged.seq, image: this.imageAt(point.time) }
    // A 1 ns step moves the retention cut: the volume is brought up to its new now.
    this.settle()
    return 'ok'
  }

  viewOff (): Outcome {
    if (this.cdp === undefined) return 'CDP_NOT_FOUND'
    this.settle()
    if (this.view === undefined) return 'VIEW_NOT_FOUND'
    // Turning a view off is a change of its own too (DESIGN §7 names the view call, both ops).
    this.changeTime()
    this.view = undefined
    this.settle()
    return 'ok'
  }

  cleanAll (): Outcome {
    if (this.cdp === undefined) return 'CDP_NOT_FOUND'
    this.settle()
    if (this.cdp.on) return 'CDP_IS_ON'
    if (this.view !== undefined) return 'VIEW_IS_ON'
    this.cdp = undefined
    this.lastChange = null
    return 'ok'
  }

  cleanSegment (seq: bigint): Outcome {
    const cdp = this.cdp
    if (cdp === undefined) return 'CDP_NOT_FOUND'
    this.settle()
    const index = cdp.segments.findIndex((s) => s.seq === seq)
    const segment = cdp.segments[index]
    if (segment === undefined) return 'SEGMENT_NOT_FOUND'
    if (segment.end === null) return 'SEGMENT_ACTIVE'
    if (this.view?.seq === seq) return 'VIEW_IS_ON'
    segment.snapshots = []
    const previous = cdp.segments[index - 1]
    const next = cdp.segments[index + 1]
    if (previous === undefined) {
      this.fold(segment.end)
    } else {
      for (const row of cdp.rows) if (row.seq === seq && row.time === previous.end) row.seq = previous.seq
      const newest = new Map<number, Row>()
      for (const row of cdp.rows) if (row.seq === seq) newest.set(row.block, row)
      // Carried rows are timed at the next segment's start, inside its own times.
      if (next !== undefined) for (const row of newest.values()) Object.assign(row, { seq: next.seq, time: next.start })
      cdp.rows = cdp.rows.filter((r) => r.seq !== seq).sort((a, b) => a.time < b.time ? -1 : a.time > b.time ? 1 : a.id - b.id)
    }
    cdp.segments = cdp.segments.filter((s) => s.seq !== seq)
    // The oldest snapshot may now be later than the fold point: retention folds up to it.
    this.settle()
    return 'ok'
  }

  /** Due snapshots, then retention, at the clock's now. */
  settle (): void {
    const cdp = this.cdp
    if (cdp === undefined) return
    const now = this.model.now
    const interval = this.model.snapshotInterval
    const cut = now - cdp.policy.duration * NS
    if (cdp.on && cdp.nextTick !== null && cdp.nextTick <= now) {
      const active = cdp.segments.find((s) => s.end === null) as Segment
      let tick = cdp.nextTick
      if (tick < cut) tick += (cut - tick + interval - 1n) / interval * interval
      const taken = new Set(active.snapshots.map((t) => t / NS))
      for (; tick <= now; tick += interval) if (!taken.has(tick / NS)) active.snapshots.push(tick)
      cdp.nextTick = tick
    }
    this.retain(cut)
  }

  private retain (cut: bigint): void {
    const cdp = this.cdp as Cdp
    // A view pins its point: capacity waits while it is on, and nothing past the point folds.
    const pin = this.view?.time
    const over = pin === undefined && this.use() > cdp.policy.capacity
    let keepFrom = cut
    if (over) {
      // The last of the oldest whole instants whose rows together bring use down to reserve_capacity.
      const excess = this.use() - cdp.policy.capacity
      let removed = 0n
      let lastInstant: bigint | null = null
      for (const row of cdp.rows) {
        if (removed >= excess && row.time !== lastInstant) break
        removed += ROW_BYTES
        lastInstant = row.time
      }
      if (lastInstant !== null && lastInstant > keepFrom) keepFrom = lastInstant
    }
    for (const segment of cdp.segments) segment.snapshots = segment.snapshots.filter((t) => t >= keepFrom)
    const oldest = this.snapshotTimes()[0] ?? this.model.now
    const foldTo = pin !== undefined && pin < oldest ? pin : oldest
    if (foldTo > cdp.foldPoint || (over && foldTo === cdp.foldPoint)) this.fold(foldTo)
  }

  private fold (to: bigint): void {
    const cdp = this.cdp as Cdp
    for (const row of cdp.rows) if (row.time <= to) cdp.base.set(row.block, row.content)
    cdp.rows = cdp.rows.filter((r) => r.time > to)
    cdp.foldPoint = to
    cdp.segments = cdp.segments.filter((s) => s.end === null || s.snapshots.length > 0 || this.use(s.seq) > 0n)
    for (const segment of cdp.segments) if (segment.start < to) segment.start = to
  }

  private snapshotTimes (): bigint[] {
    return (this.cdp?.segments ?? []).flatMap((s) => s.snapshots).sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  }

  private create (policy: Policy): Cdp {
    return { policy: { ...policy }, on: false, nextSeq: 0n, foldPoint: this.model.now, nextTick: null, segments: [], rows: [], base: new Map() }
  }

  private openSegment (time: bigint): void {
    const cdp = this.cdp as Cdp
    const size = this.model.segmentBytes
    cdp.segments.push({ seq: cdp.nextSeq, start: time, end: null, capacity: cdp.policy.capacity < size ? cdp.policy.capacity : size, snapshots: [] })
    cdp.nextSeq += 1n
    cdp.nextTick = time
  }

  /** Journals `blocks` at `time` in the active segment, opening the next when one is full. */
  private journal (blocks: ReadonlyMap<number, Content>, time: bigint): void {
    const cdp = this.cdp as Cdp
    for (const [block, content] of blocks) {
      let active = cdp.segments.find((s) => s.end === null) as Segment
      const used = this.use(active.seq)
      if (used > 0n && used + ROW_BYTES > active.capacity) {
        active.end = time
        this.openSegment(time)
        active = cdp.segments.at(-1) as Segment
      }
      cdp.rows.push({ id: this.rowIds++, time, seq: active.seq, block, content })
    }
  }

  /** The newest image the journal holds: the base with every row over it. */
  private journalImage (): Map<number, Content> {
    const cdp = this.cdp as Cdp
    const image = new Map(cdp.base)
    for (const row of cdp.rows) image.set(row.block, row.content)
    return image
  }
}

export class CdpModel {
  now: bigint
  readonly volumes: VolumeModel[]

  constructor (start: bigint, volumes: number, readonly snapshotInterval: bigint, readonly segmentBytes: bigint) {
    this.now = start
    this.volumes = Array.from({ length: volumes }, () => new VolumeModel(this))
  }

  advance (by: bigint): bigint {
    this.now += by
    for (const volume of this.volumes) volume.settle()
    return this.now
  }

  volume (index: number): VolumeModel {
    return this.volumes[index] as VolumeModel
  }
}

export type { VolumeModel }
