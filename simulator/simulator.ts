// Simulator: a storage cluster's CDP modelled in SQLite, deterministically. This class is the
// seam (CdpBackend and SimulatorControl); each rule is a module of plain functions over one
// SQL handle:
//   journal.ts         segments, enable/disable, writes journaled while CDP is on
//   auto-snapshots.ts  the points a time may be replayed from
//   retention.ts       reserve_duration and reserve_capacity: history folded into the base
//   catch-up.ts        every operation first brings its volume up to now (no timers)
//   point-in-time.ts   the image at a time, recoverable ranges, checking a point
//   timeline.ts        one ns per acknowledged change on a volume's timeline
//   view.ts, revert.ts, clean.ts, admission.ts, list.ts, info.ts: one rule each
//   window.ts          the protection window: ranges, gaps and their reasons
//   events.ts          what each rule did, kept per volume with a bound
//   group.ts           one point for several volumes, viewed or reverted all or nothing
//   changes.ts         the extents that differ between two points
// A volume's live content is `live_block`; `base_block` is the image at the journal's fold
// point `base_time`; the image at T is, per block, the newest journal row at or before T,
// else the base.
// Longer than 300 lines on purpose: one short method per call of CdpBackend and
// SimulatorControl, each delegating to its rule module; split, the seam would be two classes.
import type { Database } from 'better-sqlite3'
import { statfsSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import type {
  BatchOutcome, CdpBackend, CdpInfo, CdpPolicy, ChangesPage, ChangesQuery, GroupResult, ListQuery, ListResult, Ns,
  PointInTime, ProtectionSurvey, VmGroupRef, VolumeRef
} from '../src/backend/port.js'
import { NS_PER_SECOND } from '../src/backend/port.js'
import { CdpError, isCdpError } from '../src/errors.js'
import type { CdpEventsPage, EventsQuery } from '../src/schemas/events.js'
import type { WindowFacts } from '../src/schemas/window.js'
import { identityFromRef } from '../src/backend/identity.js'
import { changePolicy, createCdp } from './admission.js'
import { changedExtents } from './changes.js'
import { applyToGroup, groupMembers, groupPoint, type MemberChange } from './group.js'
import { catchUp } from './catch-up.js'
import { cdpOf, requireCdp } from './cdp.js'
import { cleanCdp, cleanSegment } from './clean.js'
import { type Clock, manualClock, realClock } from './clock.js'
import { BLOCK_SIZE, imageDigest, internBlock, toBlockChanges } from './content.js'
import type { BlockWrite, HarnessControl, ImageDigest, RecoverableRange, SimulatorControl, ViewListener } from './control.js'
import { type DiskState, requireRecordingDisk, setDiskState } from './disk-faults.js'
import { cdpInfo, infoValidUntil, type JournalStat, journalStats } from './info.js'
import type { InfoEntry } from './info-cache.js'
import { applyWrite, disableCdp, enableCdp } from './journal.js'
import { listCdps } from './list.js'
import { ListIndex } from './list-index.js'
import { type Cadence, DEFAULTS, type SimulatorOptions } from './options.js'
import { allocatedRuns, type BlockRange, type BlockRun, imageAt, imageBytes, liveImage, recoverableRanges, requireRecoverable } from './point-in-time.js'
import { revert } from './revert.js'
import { changeTime, changeTimeAfter, recordChange } from './timeline.js'
import { openDatabase } from './schema.js'
import { seedTopology } from './seed.js'
import { type Sql, sqlOver } from './sql.js'
import { loadState, resetState, saveState } from './state.js'
import { takeSnapshotNow } from './auto-snapshots.js'
import { type Topology, topologyOf } from './topology.js'
import { type ViewFacts, viewAllocated, viewBytes, viewFacts, viewImage, viewOff, viewOn } from './view.js'
import { protectionSurvey, protectionWindow } from './window.js'
import { eventsOf, recordHostState } from './events.js'
import { identityOf, resolveVolume, type VolumeFacts, volumeFacts, type VolumeRow, volumeByUuid } from './volume.js'

/** Free bytes the database's file system needs again before a full disk counts as recovered. */
const RECOVERED_FREE_BYTES = 1024 * 1024

export class Simulator implements CdpBackend, SimulatorControl, HarnessControl {
  private readonly db: Database
  private readonly sql: Sql
  private readonly listIndex: ListIndex
  private readonly dbPath: string
  /** Set when a write found the disk full; cleared once the file system has room again. */
  private diskFull = false
  private readonly clk: Clock
  /** Where a reset goes back to: the topology and a manual clock's start. */
  private resetTopology: () => Topology
  private readonly clockStart: Ns | undefined
  private readonly cadence: Cadence
  /** The namespaces served through CdpBackend; undefined: all. */
  private readonly served: ReadonlySet<string> | undefined
  private readonly writeTargets = new Map<string, { id: bigint, size: number }>()
  /** SQLite's data_version when the write targets were last checked: it moves when another connection commits. */
  private targetsVersion: bigint | undefined
  private readonly viewListeners: ViewListener[] = []

  constructor (options: SimulatorOptions) {
    const { topology, again } = topologyOf(options.topology)
    const db = openDatabase(options.db)
    db.defaultSafeIntegers(true)
    seedTopology(db, topology)
    this.db = db
    this.resetTopology = again
    this.clockStart = options.clock.mode === 'manual' ? options.clock.start ?? DEFAULTS.manualClockStart : undefined
    this.dbPath = options.db
    this.served = options.namespaces === undefined ? undefined : new Set(options.namespaces.map((ns) => ns.toLowerCase()))
    this.sql = sqlOver(db, () => { this.diskFull = true })
    this.listIndex = new ListIndex(this.sql)
    this.clk = options.clock.mode === 'manual'
      ? manualClock(db, options.clock.start ?? DEFAULTS.manualClockStart)
      : realClock(options.clock.origin)
    const interval = options.snapshotIntervalSeconds ?? DEFAULTS.snapshotIntervalSeconds
    if (!Number.isInteger(interval) || interval < 1) throw new Error('snapshotIntervalSeconds must be a whole number ≥ 1')
    this.cadence = {
      snapshotInterval: BigInt(interval) * NS_PER_SECOND,
      segmentCapacity: options.segmentCapacity ?? DEFAULTS.segmentCapacity
    }
  }

  // ---------------------------------------------------------------- CdpBackend

  async edit (policy: CdpPolicy, volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch(volumes, (volume) => {
      const cdp = cdpOf(this.sql, volume.id)
      const now = this.clk.now()
      if (cdp === undefined) createCdp(this.sql, volume, policy, now)
      else changePolicy(this.sql, cdp, volume, policy, now, this.cadence.snapshotInterval)
    })
  }

  async enable (volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch(volumes, (volume) => {
      const cdp = cdpOf(this.sql, volume.id) ?? createCdp(this.sql, volume, DEFAULTS.policy, this.clk.now())
      if (cdp.state === 'on') return
      requireRecordingDisk(this.sql, cdp.disk_id)
      this.change(volume.id, (now) => { enableCdp(this.sql, cdp, now, this.cadence) })
    })
  }

  async disable (volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch(volumes, (volume) => {
      const cdp = requireCdp(this.sql, volume.id)
      if (cdp.state === 'off') return
      this.change(volume.id, (now) => { disableCdp(this.sql, cdp, now, this.cadence) })
    })
  }

  async list (query: ListQuery): Promise<ListResult> {
    const served = this.served
    if (served === undefined) return listCdps(this.sql, query, this.listIndex)
    const namespaces = (query.namespaces ?? [...served]).filter((ns) => served.has(ns.toLowerCase()))
    return listCdps(this.sql, { ...query, namespaces }, this.listIndex)
  }

  async info (ref: VolumeRef): Promise<CdpInfo> {
    return this.onVolume(ref, (volume) => cdpInfo(this.sql, volume.id))
  }

  /** Info with what a cache needs to keep it exactly right: until when time alone leaves it so, and the change count it was read at. */
  async infoEntry (ref: VolumeRef): Promise<InfoEntry> {
    return this.onVolume(ref, (volume, now) => ({
      info: cdpInfo(this.sql, volume.id),
      validUntil: infoValidUntil(requireCdp(this.sql, volume.id), now),
      changes: this.changeCount()
    }))
  }

  async clean (ref: VolumeRef, usdSeq?: bigint): Promise<void> {
    this.onVolume(ref, (volume) => {
      if (usdSeq === undefined) cleanCdp(this.sql, requireCdp(this.sql, volume.id), this.clk.now())
      else cleanSegment(this.sql, volume.id, usdSeq, this.clk.now())
    })
  }

  async viewOn (ref: VolumeRef, point: PointInTime): Promise<{ host_uuid: string }> {
    const result = this.changeVolume(ref, (volume, now, found) => viewOn(this.sql, volume, point, now, found))
    this.viewChanged(ref.volume_uuid, true)
    return result
  }

  async viewOff (ref: VolumeRef): Promise<void> {
    this.changeVolume(ref, (volume, now) => { this.turnViewOff(volume, now) })
    this.viewChanged(ref.volume_uuid, false)
  }

  /** A view off; the pin is gone, so retention applies the limits in this call, not at the next one. */
  private turnViewOff (volume: VolumeRow, now: Ns): void {
    viewOff(this.sql, volume, now)
    catchUp(this.sql, requireCdp(this.sql, volume.id), now, this.cadence.snapshotInterval)
  }

  private viewChanged (volumeUuid: string, on: boolean): void {
    for (const listener of this.viewListeners) listener(volumeUuid.toLowerCase(), on)
  }

  async revert (ref: VolumeRef, point: PointInTime): Promise<void> {
    this.changeVolume(ref, (volume, now, found) => { revert(this.sql, volume, point, now, found, this.cadence) })
  }

  async window (ref: VolumeRef): Promise<WindowFacts> {
    return this.onVolume(ref, (volume) => protectionWindow(this.sql, requireCdp(this.sql, volume.id), this.clk.now()))
  }

  async protection (limit: number): Promise<ProtectionSurvey> {
    return protectionSurvey(this.sql, this.clk.now(), limit, this.served)
  }

  async events (ref: VolumeRef, query: EventsQuery): Promise<CdpEventsPage> {
    // Events outlive the CDP (a clean is one): the volume is enough.
    return this.sql.inTransaction(() => {
      const volume = resolveVolume(this.sql, ref, this.served)
      const cdp = cdpOf(this.sql, volume.id)
      if (cdp !== undefined) catchUp(this.sql, cdp, this.clk.now(), this.cadence.snapshotInterval)
      return eventsOf(this.sql, volume.id, query)
    })
  }

  async groupMembers (vm: VmGroupRef): Promise<VolumeRef[]> {
    return this.sql.inTransaction(() => groupMembers(this.sql, vm))
  }

  async groupViewOn (volumes: VolumeRef[], timestamp: Ns): Promise<GroupResult> {
    return this.groupChange(volumes, (volume, now, found) => {
      const point = groupPoint(this.sql, volume.id, timestamp, found)
      return { snapshot_name: point.snapshot_name, ...viewOn(this.sql, volume, point, now, found) }
    }, true)
  }

  async groupViewOff (volumes: VolumeRef[]): Promise<GroupResult> {
    return this.groupChange(volumes, (volume, now) => {
      this.turnViewOff(volume, now)
      return { snapshot_name: '', host_uuid: '' }
    }, false)
  }

  async groupRevert (volumes: VolumeRef[], timestamp: Ns): Promise<GroupResult> {
    return this.groupChange(volumes, (volume, now, found) => {
      const point = groupPoint(this.sql, volume.id, timestamp, found)
      revert(this.sql, volume, point, now, found, this.cadence)
      return { snapshot_name: point.snapshot_name, host_uuid: '' }
    })
  }

  async changes (ref: VolumeRef, query: ChangesQuery): Promise<ChangesPage> {
    return this.onVolume(ref, (volume) => changedExtents(this.sql, volume.id, query, this.clk.now()))
  }

  async ready (): Promise<void> {
    if (!this.sql.open) throw new CdpError('BACKEND_UNAVAILABLE', 'the simulator database is closed')
    this.sql.get('SELECT 1 AS ok')
    if (this.diskFull && freeBytesNear(this.dbPath) < RECOVERED_FREE_BYTES) {
      throw new CdpError('BACKEND_UNAVAILABLE', `storage full: the disk under the simulator database ${this.dbPath} has no room; writes are refused until it has`)
    }
    this.diskFull = false
  }

  async close (): Promise<void> {
    this.sql.close()
  }

  // ---------------------------------------------------------------- SimulatorControl

  clock (): { now: Ns, mode: 'real' | 'manual' } {
    return { now: this.clk.now(), mode: this.clk.mode }
  }

  advance (by: Ns): Ns {
    return this.sql.inTransaction(() => {
      const now = this.clk.advance(by)
      for (const { volume_id: volumeId } of this.sql.all<{ volume_id: bigint }>('SELECT volume_id FROM cdp')) {
        catchUp(this.sql, requireCdp(this.sql, volumeId), now, this.cadence.snapshotInterval)
      }
      return now
    })
  }

  write (volumeUuid: string, writes: BlockWrite[]): { count: number, time: Ns } {
    return this.sql.inTransaction(() => {
      const volume = this.writeTarget(volumeUuid)
      const changes = toBlockChanges(writes, volume.size, (bytes) => internBlock(this.sql, bytes))
      // The CDP row is read once: it holds the last change, which gives the write its ns, and the journal's state.
      const cdp = cdpOf(this.sql, volume.id)
      const now = this.changeAt(volume.id, changeTimeAfter(this.clk, cdp?.last_change), (now) => {
        applyWrite(this.sql, volume.id, cdp, changes, now, this.cadence)
        return now
      })
      return { count: writes.length, time: now }
    })
  }

  image (volumeUuid: string, at?: Ns): ImageDigest {
    return this.sql.inTransaction(() => {
      const volume = volumeByUuid(this.sql, volumeUuid)
      const now = this.clk.now()
      const cdp = cdpOf(this.sql, volume.id)
      if (cdp !== undefined) catchUp(this.sql, cdp, now, this.cadence.snapshotInterval)
      if (at === undefined) {
        return { digest: imageDigest(this.sql, Array.from(liveImage(this.sql, volume.id), ([block, token]) => ({ block, token }))), time: now }
      }
      if (cdp === undefined) throw new CdpError('CDP_NOT_FOUND', volume.uuid)
      requireRecoverable(this.sql, volume.id, at, now)
      return { digest: imageDigest(this.sql, imageAt(this.sql, volume.id, at)), time: at }
    })
  }

  viewImage (volumeUuid: string): ImageDigest {
    const { blocks, time } = viewImage(this.sql, volumeByUuid(this.sql, volumeUuid))
    return { digest: imageDigest(this.sql, blocks), time }
  }

  readImage (volumeUuid: string, offset: number, length: number, at?: Ns): Buffer {
    const range = blockRange(offset, length)
    if (at === undefined) {
      return imageBytes(this.sql, this.writeTarget(volumeUuid).id, range)
    }
    return this.sql.inTransaction(() => {
      const volume = volumeByUuid(this.sql, volumeUuid)
      const now = this.clk.now()
      catchUp(this.sql, requireCdp(this.sql, volume.id), now, this.cadence.snapshotInterval)
      requireRecoverable(this.sql, volume.id, at, now)
      return imageBytes(this.sql, volume.id, range, at)
    })
  }

  readView (volumeUuid: string, offset: number, length: number): Buffer {
    const range = blockRange(offset, length)
    return viewBytes(this.sql, volumeByUuid(this.sql, volumeUuid), range)
  }

  allocated (volumeUuid: string, offset: number, length: number, view: boolean): BlockRun[] {
    const range = blockRange(offset, length)
    const volume = volumeByUuid(this.sql, volumeUuid)
    return view ? viewAllocated(this.sql, volume, range) : allocatedRuns(this.sql, volume.id, range)
  }

  volumes (): VolumeFacts[] {
    return volumeFacts(this.sql)
  }

  viewFacts (volumeUuid: string): ViewFacts {
    return viewFacts(this.sql, volumeByUuid(this.sql, volumeUuid))
  }

  onViewChange (listener: ViewListener): void {
    this.viewListeners.push(listener)
  }

  recoverable (volumeUuid: string): { ranges: RecoverableRange[] } {
    return this.sql.inTransaction(() => {
      const volume = volumeByUuid(this.sql, volumeUuid)
      const now = this.clk.now()
      catchUp(this.sql, requireCdp(this.sql, volume.id), now, this.cadence.snapshotInterval)
      return { ranges: recoverableRanges(this.sql, volume.id, now) }
    })
  }

  /**
   * How many rows this simulator's connection has changed since it opened: it moves with
   * every change the simulator makes (and never otherwise), so a cached answer read at one
   * count is still right while the count stands (info-cache.ts); -1 once closed.
   */
  changeCount (): bigint {
    if (!this.sql.open) return -1n
    return this.sql.get<{ changes: bigint }>('SELECT total_changes() AS changes')?.changes ?? 0n
  }

  journalStats (): JournalStat[] {
    return journalStats(this.sql, this.clk.now())
  }

  setHostOnline (hostUuid: string, online: boolean): void {
    const found = this.sql.inTransaction(() => {
      const host = this.sql.get<{ id: bigint, online: bigint }>('SELECT id, online FROM host WHERE uuid = ?', hostUuid.toLowerCase())
      if (host === undefined || host.online === (online ? 1n : 0n)) return host !== undefined
      this.sql.run('UPDATE host SET online = ? WHERE id = ?', online ? 1 : 0, host.id)
      recordHostState(this.sql, host.id, online, this.clk.now())
      return true
    })
    if (!found) throw new CdpError('HOST_NOT_FOUND', hostUuid)
  }

  setDiskState (hostUuid: string, path: string, state: DiskState): void {
    this.sql.inTransaction(() => { setDiskState(this.sql, this.clk, this.cadence, hostUuid, path, state) })
  }

  setVmRunning (vmUuid: string, running: boolean): void {
    const changed = this.sql.inTransaction(() => this.sql.run('UPDATE vm SET running = ? WHERE uuid = ?', running ? 1 : 0, vmUuid.toLowerCase()))
    if (changed === 0) throw new CdpError('VM_NOT_FOUND', vmUuid)
  }

  // ---------------------------------------------------------------- the state as a whole

  /** Back to the topology's first state (another topology when given); a manual clock to its start. */
  reset (topology?: Topology): void {
    resetState(this.db, topology ?? this.resetTopology(), this.clockStart)
    if (topology !== undefined) this.resetTopology = () => topology
    this.writeTargets.clear()
  }

  /** The whole state as a SQLite file; `scratch` is a path it may use meanwhile. */
  async saveState (scratch: string): Promise<Buffer> {
    return await saveState(this.db, scratch)
  }

  /** Replaces the whole state with a saved file's; a bad file is INVALID_STATE_FILE and changes nothing. */
  loadState (file: string): void {
    loadState(this.db, file, this.clockStart)
    this.writeTargets.clear()
  }

  /** An auto snapshot now on each volume (CDP on), at most one a second each; all or none. */
  takeSnapshots (volumeUuids: string[]): Array<{ volume_uuid: string, name: string, time: Ns, taken: boolean }> {
    return this.sql.inTransaction(() => {
      const now = this.clk.now()
      return volumeUuids.map((uuid) => {
        const volume = volumeByUuid(this.sql, uuid)
        catchUp(this.sql, requireCdp(this.sql, volume.id), now, this.cadence.snapshotInterval)
        return { volume_uuid: volume.uuid, ...takeSnapshotNow(this.sql, requireCdp(this.sql, volume.id), now) }
      })
    })
  }

  // ---------------------------------------------------------------- volumes and batches

  /** Runs `fn` per volume, each in its own savepoint: one volume's failure undoes only its own work. */
  private batch (refs: VolumeRef[], fn: (volume: VolumeRow) => void): BatchOutcome[] {
    return this.sql.inTransaction(() => {
      return refs.map((ref): BatchOutcome => {
        let volume: VolumeRow | undefined
        try {
          volume = resolveVolume(this.sql, ref, this.served)
          const found = volume
          this.sql.inSavepoint(() => fn(found))
          return { ok: true, volume: identityOf(found) }
        } catch (err) {
          if (!isCdpError(err)) throw err
          return { ok: false, volume: volume === undefined ? identityFromRef(ref) : identityOf(volume), error: err }
        }
      })
    })
  }

  /** One volume's call with CDP: in one transaction, after bringing the volume up to now (`now`, the time it was brought to). */
  private onVolume<T> (ref: VolumeRef, fn: (volume: VolumeRow, now: Ns) => T): T {
    return this.sql.inTransaction(() => {
      const volume = resolveVolume(this.sql, ref, this.served)
      const now = this.clk.now()
      catchUp(this.sql, requireCdp(this.sql, volume.id), now, this.cadence.snapshotInterval)
      return fn(volume, now)
    })
  }

  /**
   * As onVolume, for a call that changes the volume: it happens at a ns of its own. The
   * volume is brought up to the clock's now first, so a point the caller read as
   * recoverable just now is still there when a 1 ns step follows. `found` is the clock's now
   * as the call found it, before any step: the latest time a point it names may be.
   */
  private changeVolume<T> (ref: VolumeRef, fn: (volume: VolumeRow, now: Ns, found: Ns) => T): T {
    return this.onVolume(ref, (volume) => {
      const found = this.clk.now()
      return this.change(volume.id, (now) => fn(volume, now, found))
    })
  }

  /** Runs one change to a volume at its own ns (timeline.ts) and records that ns. */
  private change<T> (volumeId: bigint, fn: (now: Ns) => T): T {
    return this.changeAt(volumeId, changeTime(this.sql, this.clk, volumeId), fn)
  }

  /** The same at `now`, the change's ns as its caller found it. */
  private changeAt<T> (volumeId: bigint, now: Ns, fn: (now: Ns) => T): T {
    const result = fn(now)
    recordChange(this.sql, volumeId, now)
    return result
  }

  /**
   * A change to every volume of a group, all or nothing (group.ts), at one ns: the first
   * after every member's last change, so each member's timeline keeps a ns per change.
   */
  private groupChange (refs: VolumeRef[], change: (volume: VolumeRow, now: Ns, found: Ns) => MemberChange, viewGoesOn?: boolean): GroupResult {
    // As changeVolume's `found`: the group's points are judged at the now the call found.
    const found = this.clk.now()
    const result = applyToGroup(this.sql, refs, {
      prepare: (volume) => { catchUp(this.sql, requireCdp(this.sql, volume.id), this.clk.now(), this.cadence.snapshotInterval) },
      timeOf: (volumes) => this.clk.after(volumes.reduce((last, volume) => {
        const time = requireCdp(this.sql, volume.id).last_change
        return time > last ? time : last
      }, -1n)),
      change: (volume, now) => {
        const changed = change(volume, now, found)
        recordChange(this.sql, volume.id, now)
        return changed
      }
    })
    // The view listeners hear of each member whose view went on or off (not of a revert).
    if (viewGoesOn !== undefined) for (const outcome of result.outcomes) if (outcome.ok) this.viewChanged(outcome.volume.volume_uuid, viewGoesOn)
    return result
  }

  /**
   * Where a write lands. Volumes never change once loaded, so the write path keeps them until
   * a reset or a load: this simulator's clear them, another's on the same file (which may give
   * the volumes other ids) is a commit of another connection, which moves data_version.
   */
  private writeTarget (uuid: string): { id: bigint, size: number } {
    const version = this.sql.get<{ data_version: bigint }>('PRAGMA data_version')?.data_version
    if (version !== this.targetsVersion) {
      this.writeTargets.clear()
      this.targetsVersion = version
    }
    let target = this.writeTargets.get(uuid)
    if (target === undefined) {
      const volume = volumeByUuid(this.sql, uuid)
      target = { id: volume.id, size: Number(volume.size) }
      this.writeTargets.set(uuid, target)
    }
    return target
  }
}

/** The blocks a block-aligned byte range covers (callers have checked alignment and bounds). */
function blockRange (offset: number, length: number): BlockRange {
  return { first: offset / BLOCK_SIZE, end: (offset + length) / BLOCK_SIZE }
}

/** Free bytes on the file system holding a database file (in-memory databases have no disk). */
function freeBytesNear (dbPath: string): number {
  if (dbPath === ':memory:' || dbPath === '') return Number.POSITIVE_INFINITY
  const { bavail, bsize } = statfsSync(dirname(resolve(dbPath)))
  return bavail * bsize
}
