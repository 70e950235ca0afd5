// SimulatorBackend: a storage cluster's CDP modelled in SQLite, deterministically.
//
// The model, in one paragraph: a volume's live content is `live_block`. While CDP is on,
// every block write is also a `journal` row (time, block, token) in the active `segment`.
// `base_block` is the image at the journal's fold point `base_time`; the image at a time T
// is, per block, the newest journal row at or before T, else the base. Auto snapshots are
// the points a time may be replayed from; retention drops snapshots older than
// reserve_duration (or as many oldest as it takes to bring journal use under
// reserve_capacity) and folds every journal row up to the oldest remaining snapshot into the
// base. Every operation first "settles" the volume (due snapshots, retention) at the
// clock's now, so a real clock needs no timers.
import type { Database, Statement, Transaction } from 'better-sqlite3'
import type {
  BatchOutcome, CdpBackend, CdpInfo, CdpListItem, CdpPolicy, CdpPriority, CdpSegmentInfo, CdpState,
  ListQuery, ListResult, Ns, PointInTime, RangeState, VolumeIdentity, VolumeRef
} from '../src/backend/port.js'
import { CdpError, isCdpError } from '../src/errors.js'
import { identityFromRef } from '../src/backend/identity.js'
import { foldForSearch } from '../src/search-fold.js'
import type { BlockWrite, ImageDigest, RecoverableRange, SimulatorControl } from './control.js'
import { type Clock, MAX_TIME, manualClock, realClock } from './clock.js'
import { BLOCK_SIZE, type BlockChange, imageDigest, toBlockChanges } from './content.js'
import { DEFAULTS, type SimulatorOptions } from './options.js'
import { openDatabase } from './schema.js'
import { seedTopology } from './seed.js'

const NS_PER_S = 1_000_000_000n
const BLOCK = BigInt(BLOCK_SIZE)

interface VolumeRow {
  id: bigint
  uuid: string
  name: string
  size: bigint
  multiple: bigint
  vm_type: string
  owner: string
  cluster_uuid: string
  cluster_name: string
  cluster_mode: string
  tenant: string
  tenant_name: string
  vm_running: bigint | null
}

interface CdpRow {
  volume_id: bigint
  priority: CdpPriority
  reserve_capacity: bigint
  reserve_duration: bigint
  state: CdpState
  create_time: bigint
  disk_id: bigint
  next_seq: bigint
  base_time: bigint
  next_snapshot: bigint | null
  /** Journal bytes over all segments. */
  use: bigint
  oldest_snapshot: bigint | null
  /** The segment being written; null while CDP is off. */
  active_seq: bigint | null
  active_use: bigint | null
  active_capacity: bigint | null
}

interface SegmentRow {
  seq: bigint
  use: bigint
  end_time: bigint | null
}

/** A volume's CDP with what every journal decision needs, in one read. */
const CDP_SELECT = `
  SELECT cdp.*,
    (SELECT coalesce(sum(s.use), 0) FROM segment s WHERE s.volume_id = cdp.volume_id) AS use,
    (SELECT min(sn.time) FROM snapshot sn WHERE sn.volume_id = cdp.volume_id) AS oldest_snapshot,
    a.seq AS active_seq, a.use AS active_use, a.capacity AS active_capacity
  FROM cdp LEFT JOIN segment a ON a.volume_id = cdp.volume_id AND a.end_time IS NULL
  WHERE cdp.volume_id = ?`

/** Where a point in time lives once checked against the journal. */
interface ResolvedPoint {
  seq: bigint
  time: Ns
  hostId: bigint
  hostUuid: string
}

/** An auto snapshot is named for the whole second it was taken in. */
const snapshotName = (time: Ns): string => `CDP-auto-${time / NS_PER_S}`

/** When the next auto snapshot is due; null (never) past the last time the clock can reach. */
const dueOrNever = (time: Ns): Ns | null => time > MAX_TIME ? null : time

/** uint64 policy values are kept in SQLite's int64 as the same 64 bits. */
const toStored = (u64: bigint): bigint => BigInt.asIntN(64, u64)
const fromStored = (i64: bigint): bigint => BigInt.asUintN(64, i64)

export class Simulator implements CdpBackend, SimulatorControl {
  private readonly db: Database
  private readonly clk: Clock
  private readonly snapshotInterval: Ns
  private readonly segmentCapacity: bigint
  private readonly statements = new Map<string, Statement>()
  private readonly writeTargets = new Map<string, { id: bigint, size: number }>()
  private readonly transaction: Transaction<(fn: () => unknown) => unknown>

  constructor (options: SimulatorOptions) {
    this.db = openDatabase(options.db)
    this.db.defaultSafeIntegers(true)
    seedTopology(this.db, options.topology)
    this.clk = options.clock.mode === 'manual'
      ? manualClock(this.db, options.clock.start ?? DEFAULTS.manualClockStart)
      : realClock()
    const interval = options.snapshotIntervalSeconds ?? DEFAULTS.snapshotIntervalSeconds
    if (!Number.isInteger(interval) || interval < 1) throw new Error('snapshotIntervalSeconds must be a whole number ≥ 1')
    this.snapshotInterval = BigInt(interval) * NS_PER_S
    this.segmentCapacity = options.segmentCapacity ?? DEFAULTS.segmentCapacity
    this.transaction = this.db.transaction((fn: () => unknown) => fn())
  }

  // ---------------------------------------------------------------- CdpBackend

  async edit (policy: CdpPolicy, volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch(volumes, (volume, now) => {
      const cdp = this.cdpOf(volume.id)
      if (cdp === undefined) {
        this.createCdp(volume, policy, now)
        return
      }
      this.settle(cdp, now)
      this.reserve(volume, policy.reserve_capacity, cdp)
      this.run('UPDATE cdp SET priority = ?, reserve_capacity = ?, reserve_duration = ? WHERE volume_id = ?',
        policy.cdp_priority, policy.reserve_capacity, toStored(policy.reserve_duration), volume.id)
      this.settle(this.requireCdp(volume.id), now)
    })
  }

  async enable (volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch(volumes, (volume, now) => {
      const cdp = this.cdpOf(volume.id) ?? this.createCdp(volume, DEFAULTS.policy, now)
      if (cdp.state === 'on') return
      this.settle(cdp, now)
      this.run('UPDATE cdp SET state = \'on\' WHERE volume_id = ?', volume.id)
      this.openSegment(this.requireCdp(volume.id), now)
      this.resync(volume.id, now)
      this.settle(this.requireCdp(volume.id), now)
    })
  }

  async disable (volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch(volumes, (volume, now) => {
      const cdp = this.requireCdp(volume.id)
      if (cdp.state === 'off') return
      this.settle(cdp, now)
      this.run('UPDATE segment SET end_time = ? WHERE volume_id = ? AND end_time IS NULL', now, volume.id)
      this.run('UPDATE cdp SET state = \'off\', next_snapshot = NULL WHERE volume_id = ?', volume.id)
    })
  }

  async list (query: ListQuery): Promise<ListResult> {
    const cluster = this.get<{ id: bigint, uuid: string, name: string, mode: string }>(
      'SELECT id, uuid, name, mode FROM cluster WHERE uuid = ?', query.cluster_uuid.toLowerCase())
    if (cluster === undefined) throw new CdpError('CLUSTER_NOT_FOUND', query.cluster_uuid)
    const tenant = query.tenant?.toLowerCase() ?? null
    const tenantId = tenant === null ? null : this.get<{ id: bigint }>('SELECT id FROM tenant WHERE uuid = ?', tenant)?.id ?? -1n
    const filter = foldForSearch(query.filter_name ?? '')
    // Ranges are the cluster's namespaces that the tenant (if named) may see.
    const only = query.namespaces === undefined ? null : JSON.stringify(query.namespaces.map((ns) => ns.toLowerCase()))
    const except = JSON.stringify((query.exclude_namespaces ?? []).map((ns) => ns.toLowerCase()))
    const ranges = this.all<{ id: bigint, uuid: string }>(`
      SELECT n.id, n.uuid FROM namespace n WHERE n.cluster_id = @cluster
        AND (@tenant IS NULL OR n.open_to_all = 1 OR EXISTS (
          SELECT 1 FROM namespace_tenant nt WHERE nt.namespace_id = n.id AND nt.tenant_id = @tenant))
        AND (@only IS NULL OR n.uuid IN (SELECT value FROM json_each(@only)))
        AND n.uuid NOT IN (SELECT value FROM json_each(@except))
      ORDER BY n.id`, { cluster: cluster.id, tenant: tenantId, only, except })
    const rangeIds = JSON.stringify(ranges.map((r) => Number(r.id)))
    const args = { cluster: cluster.id, tenant: tenantId, ranges: rangeIds, ...(filter === '' ? {} : { filter, pattern: `%${filter}%` }) }
    // A filter of three or more plain characters starts from the trigram index's
    // candidates; shorter ones, or ones with LIKE's wildcards % and _, scan the cluster's
    // volumes. instr() decides exact substrings either way.
    const source = [...filter].length < 3 || /[%_]/.test(filter)
      ? 'volume v'
      : `(SELECT rowid AS id FROM volume_search WHERE search_name LIKE @pattern
          UNION SELECT rowid FROM volume_search WHERE uuid LIKE @pattern) AS hit
        CROSS JOIN volume v ON v.id = hit.id`
    const matches = (joins = ''): string => `
      FROM ${source} ${joins} JOIN cdp ON cdp.volume_id = v.id
      WHERE v.cluster_id = @cluster AND (@tenant IS NULL OR v.tenant_id = @tenant)
        AND v.namespace_id IN (SELECT value FROM json_each(@ranges))
        ${filter === '' ? '' : 'AND (instr(v.search_name, @filter) > 0 OR instr(v.uuid, @filter) > 0)'}`
    const counted = filter === ''
      ? `SELECT namespace_id, sum(n) AS n FROM cdp_count
          WHERE (@tenant IS NULL OR tenant_id = @tenant) AND namespace_id IN (SELECT value FROM json_each(@ranges))
          GROUP BY namespace_id`
      : `SELECT v.namespace_id, count(*) AS n ${matches()} GROUP BY v.namespace_id`
    const counts = new Map(this.all<{ namespace_id: bigint, n: bigint }>(counted, filter === '' ? { tenant: tenantId, ranges: rangeIds } : args)
      .map((row) => [row.namespace_id, Number(row.n)]))
    const limit = query.page_size === 0 ? -1 : query.page_size
    const offset = query.page_size === 0 ? 0 : query.page_num * query.page_size
    const rows = this.all<Omit<CdpListItem, 'reserve_duration' | 'cdp_create_time' | 'cluster_uuid' | 'cluster_name' | 'cluster_mode'> & { reserve_duration: bigint, cdp_create_time: bigint }>(`
      SELECT t.uuid AS tenant, t.name AS tenant_name, v.uuid AS volume_uuid, v.name AS volume_name,
        coalesce(vm.name, '') AS vm_name, coalesce(vm.uuid, '') AS vm_uuid,
        cdp.reserve_duration, cdp.reserve_capacity, cdp.create_time AS cdp_create_time,
        cdp.state AS cdp_state, cdp.priority AS cdp_priority
      ${matches('JOIN tenant t ON t.id = v.tenant_id LEFT JOIN vm ON vm.id = v.vm_id')}
      ORDER BY v.name, v.uuid LIMIT @limit OFFSET @offset`, { ...args, limit, offset })
    const where = { cluster_uuid: cluster.uuid, cluster_name: cluster.name, cluster_mode: cluster.mode }
    return {
      TotalCount: [...counts.values()].reduce((a, b) => a + b, 0),
      List: rows.map((row) => ({
        ...where,
        ...row,
        reserve_duration: fromStored(row.reserve_duration),
        cdp_create_time: Number(row.cdp_create_time)
      })),
      each_range_list_state: ranges.map((r): RangeState => ({ ...where, namespace_uuid: r.uuid, total_count: counts.get(r.id) ?? 0 }))
    }
  }

  async info (ref: VolumeRef): Promise<CdpInfo> {
    return this.write(() => {
      const volume = this.resolve(ref)
      const cdp = this.requireCdp(volume.id)
      this.settle(cdp, this.clk.now())
      const segments = this.all<{ seq: bigint, start_time: bigint, use: bigint, capacity: bigint, io_start_time: bigint | null, io_last_time: bigint | null, online: bigint, maddr: string, path: string }>(`
        SELECT s.seq, s.start_time, s.use, s.capacity, s.io_start_time, s.io_last_time, h.online, h.maddr, d.path
        FROM segment s JOIN cdp_disk d ON d.id = s.disk_id JOIN host h ON h.id = d.host_id
        WHERE s.volume_id = ? ORDER BY s.seq`, volume.id)
      // One row per segment: reading a hundred snapshot rows one by one costs more than the rest of info.
      const snaps = new Map(this.all<{ seq: bigint, times: string }>(
        "SELECT seq, group_concat(time, ',' ORDER BY time) AS times FROM snapshot WHERE volume_id = ? GROUP BY seq", volume.id)
        .map((row) => [row.seq, row.times.split(',').map((time) => ({ name: snapshotName(BigInt(time)), time: BigInt(time) }))]))
      const view = this.get<{ uuid: string }>('SELECT h.uuid FROM view JOIN host h ON h.id = view.host_id WHERE view.volume_id = ?', volume.id)
      return {
        cdp_info: segments.map((s): CdpSegmentInfo => ({
          snaps: snaps.get(s.seq) ?? [],
          seq: s.seq,
          startTime: s.start_time,
          use: s.use,
          capacity: s.capacity,
          ioStartTime: s.io_start_time ?? 0n,
          ioLastTime: s.io_last_time ?? 0n,
          online: s.online === 1n,
          usd_maddr: s.maddr,
          usd_path: s.path
        })),
        host_uuid: view?.uuid ?? ''
      }
    })
  }

  async clean (ref: VolumeRef, usdSeq?: bigint): Promise<void> {
    this.write(() => {
      const volume = this.resolve(ref)
      const cdp = this.requireCdp(volume.id)
      const now = this.clk.now()
      this.settle(cdp, now)
      if (usdSeq === undefined) this.cleanAll(volume.id, this.requireCdp(volume.id))
      else this.cleanSegment(volume.id, usdSeq)
    })
  }

  async viewOn (ref: VolumeRef, point: PointInTime): Promise<{ host_uuid: string }> {
    return this.write(() => {
      const volume = this.resolve(ref)
      const now = this.clk.now()
      this.settle(this.requireCdp(volume.id), now)
      if (this.hasView(volume.id)) throw new CdpError('VIEW_ALREADY_ON', volume.uuid)
      const at = this.resolvePoint(volume.id, point, now)
      this.run('INSERT INTO view (volume_id, seq, snapshot_name, time, host_id) VALUES (?, ?, ?, ?, ?)',
        volume.id, at.seq, point.snapshot_name, at.time, at.hostId)
      const insert = this.prepare('INSERT INTO view_block (volume_id, block, token) VALUES (?, ?, ?)')
      for (const { block, token } of Array.from(this.tokensAt(volume.id, at.time))) {
        if (token !== 0) insert.run(volume.id, block, token)
      }
      return { host_uuid: at.hostUuid }
    })
  }

  async viewOff (ref: VolumeRef): Promise<void> {
    this.write(() => {
      const volume = this.resolve(ref)
      this.requireCdp(volume.id)
      if (!this.hasView(volume.id)) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
      this.run('DELETE FROM view_block WHERE volume_id = ?', volume.id)
      this.run('DELETE FROM view WHERE volume_id = ?', volume.id)
    })
  }

  async revert (ref: VolumeRef, point: PointInTime): Promise<void> {
    this.write(() => {
      const volume = this.resolve(ref)
      const now = this.clk.now()
      this.settle(this.requireCdp(volume.id), now)
      if (volume.vm_running === 1n) throw new CdpError('VOLUME_IN_USE', volume.uuid)
      if (this.hasView(volume.id)) throw new CdpError('VIEW_IS_ON', volume.uuid)
      const at = this.resolvePoint(volume.id, point, now)
      const live = this.liveTokens(volume.id)
      const changes = [...this.tokensAt(volume.id, at.time)].filter(({ block, token }) => live.get(block) !== token)
      this.applyWrite(volume.id, changes, now)
    })
  }

  async ready (): Promise<void> {
    if (!this.db.open) throw new CdpError('BACKEND_UNAVAILABLE', 'the simulator database is closed')
    this.get('SELECT 1 AS ok')
  }

  async close (): Promise<void> {
    if (this.db.open) this.db.close()
  }

  // ---------------------------------------------------------------- SimulatorControl

  clock (): { now: Ns, mode: 'real' | 'manual' } {
    return { now: this.clk.now(), mode: this.clk.mode }
  }

  advance (by: Ns): Ns {
    return this.write(() => {
      const now = this.clk.advance(by)
      for (const volumeId of this.all<{ volume_id: bigint }>('SELECT volume_id FROM cdp')) {
        this.settle(this.requireCdp(volumeId.volume_id), now)
      }
      return now
    })
  }

  write<T> (fn: () => T): T
  write (volumeUuid: string, writes: BlockWrite[]): { count: number, time: Ns }
  write<T> (first: string | (() => T), writes?: BlockWrite[]): T | { count: number, time: Ns } {
    if (typeof first === 'function') return this.transaction.immediate(first) as T
    return this.write(() => {
      const volume = this.writeTarget(first)
      const changes = toBlockChanges(writes ?? [], volume.size)
      const now = this.clk.now()
      this.applyWrite(volume.id, changes, now)
      return { count: writes?.length ?? 0, time: now }
    })
  }

  image (volumeUuid: string, at?: Ns): ImageDigest {
    return this.write(() => {
      const volume = this.volumeByUuid(volumeUuid)
      const now = this.clk.now()
      const cdp = this.cdpOf(volume.id)
      if (cdp !== undefined) this.settle(cdp, now)
      if (at === undefined) {
        return { digest: imageDigest(Array.from(this.liveTokens(volume.id), ([block, token]) => ({ block, token }))), time: now }
      }
      if (cdp === undefined) throw new CdpError('CDP_NOT_FOUND', volume.uuid)
      this.requireRecoverable(volume.id, at, now)
      return { digest: imageDigest(this.tokensAt(volume.id, at)), time: at }
    })
  }

  viewImage (volumeUuid: string): ImageDigest {
    const volume = this.volumeByUuid(volumeUuid)
    const view = this.get<{ time: bigint }>('SELECT time FROM view WHERE volume_id = ?', volume.id)
    if (view === undefined) throw new CdpError('VIEW_NOT_FOUND', volume.uuid)
    const blocks = this.all<{ block: bigint, token: bigint }>('SELECT block, token FROM view_block WHERE volume_id = ? ORDER BY block', volume.id)
    return { digest: imageDigest(blocks.map((b) => ({ block: Number(b.block), token: Number(b.token) }))), time: view.time }
  }

  recoverable (volumeUuid: string): { ranges: RecoverableRange[] } {
    return this.write(() => {
      const volume = this.volumeByUuid(volumeUuid)
      const now = this.clk.now()
      const cdp = this.requireCdp(volume.id)
      this.settle(cdp, now)
      return { ranges: this.recoverableRanges(volume.id, now) }
    })
  }

  /** Every CDP volume's journal use and how far back it can recover, for metrics (read only). */
  journalStats (): Array<{ volume_uuid: string, use: bigint, window_seconds: number }> {
    const now = this.clk.now()
    return this.all<{ uuid: string, use: bigint, oldest: bigint | null }>(`
      SELECT v.uuid,
        (SELECT coalesce(sum(s.use), 0) FROM segment s WHERE s.volume_id = cdp.volume_id) AS use,
        (SELECT min(sn.time) FROM snapshot sn WHERE sn.volume_id = cdp.volume_id) AS oldest
      FROM cdp JOIN volume v ON v.id = cdp.volume_id ORDER BY v.uuid`)
      .map((row) => ({
        volume_uuid: row.uuid,
        use: row.use,
        window_seconds: row.oldest === null || row.oldest > now ? 0 : Number(now - row.oldest) / 1e9
      }))
  }

  setHostOnline (hostUuid: string, online: boolean): void {
    const changed = this.run('UPDATE host SET online = ? WHERE uuid = ?', online ? 1 : 0, hostUuid.toLowerCase())
    if (changed === 0) throw new CdpError('HOST_NOT_FOUND', hostUuid)
  }

  setVmRunning (vmUuid: string, running: boolean): void {
    const changed = this.run('UPDATE vm SET running = ? WHERE uuid = ?', running ? 1 : 0, vmUuid.toLowerCase())
    if (changed === 0) throw new CdpError('VM_NOT_FOUND', vmUuid)
  }

  // ---------------------------------------------------------------- volumes and batches

  /** Runs `fn` per volume, each in its own savepoint: one volume's failure undoes only its own work. */
  private batch (refs: VolumeRef[], fn: (volume: VolumeRow, now: Ns) => void): BatchOutcome[] {
    return this.write(() => {
      const now = this.clk.now()
      return refs.map((ref): BatchOutcome => {
        let volume: VolumeRow | undefined
        try {
          volume = this.resolve(ref)
          const found = volume
          this.transaction(() => fn(found, now))
          return { ok: true, volume: identityOf(found) }
        } catch (err) {
          if (!isCdpError(err)) throw err
          return { ok: false, volume: volume === undefined ? identityFromRef(ref) : identityOf(volume), error: err }
        }
      })
    })
  }

  private volumeByUuid (uuid: string): VolumeRow {
    const volume = this.get<VolumeRow>(`${VOLUME_SELECT} WHERE v.uuid = ?`, uuid.toLowerCase())
    if (volume === undefined) throw new CdpError('VOLUME_NOT_FOUND', uuid)
    return volume
  }

  /** Where a write lands. Volumes never change once loaded, so the write path keeps them. */
  private writeTarget (uuid: string): { id: bigint, size: number } {
    let target = this.writeTargets.get(uuid)
    if (target === undefined) {
      const volume = this.volumeByUuid(uuid)
      target = { id: volume.id, size: Number(volume.size) }
      this.writeTargets.set(uuid, target)
    }
    return target
  }

  /** The volume a request names; another tenant's volume is as good as missing. */
  private resolve (ref: VolumeRef): VolumeRow {
    const volume = this.get<VolumeRow>(`${VOLUME_SELECT} WHERE v.uuid = ?`, ref.volume_uuid.toLowerCase())
    const cluster = ref.cluster_uuid.toLowerCase()
    if (volume?.cluster_uuid !== cluster) {
      if (this.get('SELECT 1 AS ok FROM cluster WHERE uuid = ?', cluster) === undefined) {
        throw new CdpError('CLUSTER_NOT_FOUND', ref.cluster_uuid)
      }
      throw new CdpError('VOLUME_NOT_FOUND', ref.volume_uuid)
    }
    if (ref.tenant !== undefined && ref.tenant.toLowerCase() !== volume.tenant) {
      throw new CdpError('VOLUME_NOT_FOUND', ref.volume_uuid)
    }
    return volume
  }

  private cdpOf (volumeId: bigint): CdpRow | undefined {
    return this.get<CdpRow>(CDP_SELECT, volumeId)
  }

  private requireCdp (volumeId: bigint): CdpRow {
    const cdp = this.cdpOf(volumeId)
    if (cdp === undefined) throw new CdpError('CDP_NOT_FOUND', 'the volume has no CDP configured')
    return cdp
  }

  private hasView (volumeId: bigint): boolean {
    return this.get('SELECT 1 AS ok FROM view WHERE volume_id = ?', volumeId) !== undefined
  }

  // ---------------------------------------------------------------- admission and placement

  private createCdp (volume: VolumeRow, policy: CdpPolicy, now: Ns): CdpRow {
    const diskId = this.reserve(volume, policy.reserve_capacity)
    this.run(`INSERT INTO cdp (volume_id, priority, reserve_capacity, reserve_duration, state, create_time, disk_id, base_time)
      VALUES (?, ?, ?, ?, 'off', ?, ?, ?)`,
    volume.id, policy.cdp_priority, policy.reserve_capacity, toStored(policy.reserve_duration), now / NS_PER_S, diskId, now)
    return this.requireCdp(volume.id)
  }

  /**
   * Places `capacity` bytes of reservation for the volume: on its current disk when it has
   * one (only the change counts), else on the online disk of its cluster with most room.
   * Reservations on a disk never exceed its capacity.
   */
  private reserve (volume: VolumeRow, capacity: bigint, current?: CdpRow): bigint {
    const tooBig = new CdpError('INSUFFICIENT_CDP_CAPACITY', `reserve_capacity ${capacity} does not fit on any CDP disk`)
    if (current !== undefined) {
      const delta = capacity - current.reserve_capacity
      const disk = this.get<{ free: bigint }>('SELECT capacity - reserved AS free FROM cdp_disk WHERE id = ?', current.disk_id)
      if (disk === undefined || delta > disk.free) throw tooBig
      this.run('UPDATE cdp_disk SET reserved = reserved + ? WHERE id = ?', delta, current.disk_id)
      return current.disk_id
    }
    const disk = this.get<{ id: bigint, free: bigint }>(`
      SELECT d.id, d.capacity - d.reserved AS free FROM cdp_disk d JOIN host h ON h.id = d.host_id
      JOIN volume v ON v.cluster_id = h.cluster_id
      WHERE v.id = ? AND h.online = 1 ORDER BY free DESC, h.id, d.path LIMIT 1`, volume.id)
    if (disk === undefined || capacity > disk.free) throw tooBig
    this.run('UPDATE cdp_disk SET reserved = reserved + ? WHERE id = ?', capacity, disk.id)
    return disk.id
  }

  // ---------------------------------------------------------------- journal

  private openSegment (cdp: CdpRow, now: Ns): void {
    const capacity = cdp.reserve_capacity < this.segmentCapacity ? cdp.reserve_capacity : this.segmentCapacity
    this.run('INSERT INTO segment (volume_id, seq, disk_id, capacity, start_time) VALUES (?, ?, ?, ?, ?)',
      cdp.volume_id, cdp.next_seq, cdp.disk_id, capacity, now)
    // Snapshot names carry whole seconds, so at most one a second: the first is due no
    // earlier than the second after the newest one.
    const newest = this.get<{ time: bigint | null }>('SELECT max(time) AS time FROM snapshot WHERE volume_id = ?', cdp.volume_id)?.time ?? null
    const earliest = newest === null ? now : (newest / NS_PER_S + 1n) * NS_PER_S
    this.run('UPDATE cdp SET next_seq = next_seq + 1, next_snapshot = ? WHERE volume_id = ?',
      dueOrNever(now > earliest ? now : earliest), cdp.volume_id)
  }

  /** Applies block changes to the live volume, journaling them when CDP is on. */
  private applyWrite (volumeId: bigint, changes: BlockChange[], now: Ns): void {
    const last = new Map<number, number>()
    for (const { block, token } of changes) last.set(block, token)
    const upsert = this.prepare('INSERT INTO live_block (volume_id, block, token) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET token = excluded.token')
    for (const [block, token] of last) upsert.run(volumeId, block, token)
    const cdp = this.cdpOf(volumeId)
    if (cdp === undefined) return
    this.settle(cdp.state === 'on' ? this.appendJournal(cdp, last, now) : cdp, now)
  }

  /** Journals the changes at `now` in the active segment, opening the next when one is full; returns the CDP as it now is. */
  private appendJournal (cdp: CdpRow, changes: Map<number, number>, now: Ns): CdpRow {
    if (cdp.active_seq === null || cdp.active_use === null || cdp.active_capacity === null) {
      throw new Error(`volume ${cdp.volume_id} has CDP on but no active segment`)
    }
    const insert = this.prepare('INSERT INTO journal (volume_id, seq, time, block, token) VALUES (?, ?, ?, ?, ?)')
    const segment = { seq: cdp.active_seq, use: cdp.active_use, capacity: cdp.active_capacity, added: 0n }
    let total = 0n
    let rolled = false
    const flush = (): void => {
      this.run(`UPDATE segment SET use = use + ?, io_start_time = coalesce(io_start_time, ?), io_last_time = ?
        WHERE volume_id = ? AND seq = ?`, segment.added, now, now, cdp.volume_id, segment.seq)
      total += segment.added
    }
    for (const [block, token] of changes) {
      const used = segment.use + segment.added
      if (used > 0n && used + BLOCK > segment.capacity) {
        flush()
        this.run('UPDATE segment SET end_time = ? WHERE volume_id = ? AND seq = ?', now, cdp.volume_id, segment.seq)
        this.openSegment(this.requireCdp(cdp.volume_id), now)
        const opened = this.requireCdp(cdp.volume_id)
        Object.assign(segment, { seq: opened.active_seq, use: 0n, capacity: opened.active_capacity, added: 0n })
        rolled = true
      }
      insert.run(cdp.volume_id, segment.seq, now, block, token)
      segment.added += BLOCK
    }
    flush()
    return rolled ? this.requireCdp(cdp.volume_id) : { ...cdp, use: cdp.use + total, active_use: segment.use + segment.added }
  }

  /**
   * Journals what changed while CDP was off (the live image against the journal's newest
   * image), so that points after an enable replay to the right content.
   */
  private resync (volumeId: bigint, now: Ns): void {
    const journalEnd = new Map<number, number>()
    for (const { block, token } of this.tokensAt(volumeId, MAX_TIME)) journalEnd.set(block, token)
    const changed = new Map<number, number>()
    for (const [block, token] of this.liveTokens(volumeId)) {
      if ((journalEnd.get(block) ?? 0) !== token) changed.set(block, token)
    }
    if (changed.size > 0) this.appendJournal(this.requireCdp(volumeId), changed, now)
  }

  // ---------------------------------------------------------------- auto snapshots and retention

  /** Brings a volume up to `now`: the auto snapshots that fell due, then retention. */
  private settle (cdp: CdpRow, now: Ns): void {
    const cut = now - fromStored(cdp.reserve_duration) * NS_PER_S
    let oldest = cdp.oldest_snapshot
    if (cdp.state === 'on' && cdp.next_snapshot !== null && cdp.next_snapshot <= now) {
      let due = cdp.next_snapshot
      // Ticks already outside the window would be dropped at once: skip them.
      if (due < cut) due += ((cut - due + this.snapshotInterval - 1n) / this.snapshotInterval) * this.snapshotInterval
      for (; due <= now; due += this.snapshotInterval) {
        this.run('INSERT OR IGNORE INTO snapshot (volume_id, name, seq, time) VALUES (?, ?, ?, ?)',
          cdp.volume_id, snapshotName(due), cdp.active_seq, due)
        if (oldest === null) oldest = due
      }
      this.run('UPDATE cdp SET next_snapshot = ? WHERE volume_id = ?', dueOrNever(due), cdp.volume_id)
    }
    this.retain(cdp, oldest, cut, now)
  }

  private retain (cdp: CdpRow, oldest: Ns | null, cut: Ns, now: Ns): void {
    const overCapacity = cdp.use > cdp.reserve_capacity
    // History before the oldest snapshot can no longer be a base: it is folded. With no
    // snapshot at all, nothing up to now can be.
    if (!overCapacity && oldest !== null && oldest >= cut && oldest <= cdp.base_time) return
    let dropBefore = cut
    if (overCapacity) {
      const foldPoint = this.capacityFoldPoint(cdp.volume_id, cdp.use - cdp.reserve_capacity)
      if (foldPoint > dropBefore) dropBefore = foldPoint
    }
    if (oldest !== null && oldest < dropBefore) {
      this.run('DELETE FROM snapshot WHERE volume_id = ? AND time < ?', cdp.volume_id, dropBefore)
      oldest = this.get<{ time: bigint | null }>('SELECT min(time) AS time FROM snapshot WHERE volume_id = ?', cdp.volume_id)?.time ?? null
    }
    const foldTo = oldest ?? now
    // Rows can sit at base_time itself (journaled in the ns of the last fold, or of the
    // CDP's creation): over capacity, those must fold too.
    if (foldTo > cdp.base_time || (overCapacity && foldTo === cdp.base_time)) this.fold(cdp.volume_id, foldTo)
  }

  /** The newest time to fold through so that `excess` journal bytes go, whole instants at a time. */
  private capacityFoldPoint (volumeId: bigint, excess: bigint): Ns {
    let removed = 0n
    let foldPoint = 0n
    for (const row of this.prepare('SELECT time FROM journal WHERE volume_id = ? ORDER BY time, id').iterate(volumeId)) {
      const time = (row as { time: bigint }).time
      if (removed >= excess && time !== foldPoint) break
      removed += BLOCK
      foldPoint = time
    }
    return foldPoint
  }

  /** Folds every journal row at or before `to` into the base; costs what it removes. */
  private fold (volumeId: bigint, to: Ns): void {
    const upsert = this.prepare('INSERT INTO base_block (volume_id, block, token) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET token = excluded.token')
    const removedBySeq = new Map<bigint, bigint>()
    const rows = this.all<{ seq: bigint, block: bigint, token: bigint }>(
      'SELECT seq, block, token FROM journal WHERE volume_id = ? AND time <= ? ORDER BY time, id', volumeId, to)
    for (const { seq, block, token } of rows) {
      upsert.run(volumeId, block, token)
      removedBySeq.set(seq, (removedBySeq.get(seq) ?? 0n) + BLOCK)
    }
    if (rows.length > 0) this.run('DELETE FROM journal WHERE volume_id = ? AND time <= ?', volumeId, to)
    for (const [seq, bytes] of removedBySeq) {
      this.run('UPDATE segment SET use = use - ? WHERE volume_id = ? AND seq = ?', bytes, volumeId, seq)
    }
    this.run('UPDATE cdp SET base_time = ? WHERE volume_id = ?', to, volumeId)
    // A closed segment with nothing left to recover from or replay is gone.
    this.run(`DELETE FROM segment WHERE volume_id = ? AND end_time IS NOT NULL AND use = 0
      AND NOT EXISTS (SELECT 1 FROM snapshot s WHERE s.volume_id = segment.volume_id AND s.seq = segment.seq)`, volumeId)
    this.run('UPDATE segment SET start_time = ? WHERE volume_id = ? AND start_time < ?', to, volumeId, to)
    this.run(`UPDATE segment SET io_start_time = CASE WHEN use = 0 THEN NULL ELSE
        (SELECT min(time) FROM journal j WHERE j.volume_id = segment.volume_id AND j.seq = segment.seq) END
      WHERE volume_id = ? AND io_start_time <= ?`, volumeId, to)
  }

  // ---------------------------------------------------------------- clean

  private cleanAll (volumeId: bigint, cdp: CdpRow): void {
    if (cdp.state === 'on') throw new CdpError('CDP_IS_ON', 'disable CDP before deleting it')
    if (this.hasView(volumeId)) throw new CdpError('VIEW_IS_ON', 'turn the view off before deleting CDP')
    for (const table of ['journal', 'base_block', 'snapshot', 'segment']) {
      this.run(`DELETE FROM ${table} WHERE volume_id = ?`, volumeId)
    }
    this.run('UPDATE cdp_disk SET reserved = reserved - ? WHERE id = ?', cdp.reserve_capacity, cdp.disk_id)
    this.run('DELETE FROM cdp WHERE volume_id = ?', volumeId)
  }

  /**
   * Deletes one closed segment and its points. Later segments replay on top of its writes,
   * so those are kept in a compact form: folded into the base when it is the oldest,
   * otherwise its last write per block carried into the next segment.
   */
  private cleanSegment (volumeId: bigint, seq: bigint): void {
    // Seqs are SQLite int64 counting up from 0: a uint64 past that names no segment.
    const segment = BigInt.asIntN(64, seq) !== seq
      ? undefined
      : this.get<SegmentRow>('SELECT seq, use, end_time FROM segment WHERE volume_id = ? AND seq = ?', volumeId, seq)
    if (segment === undefined) throw new CdpError('SEGMENT_NOT_FOUND', `usd_seq ${seq}`)
    if (segment.end_time === null) throw new CdpError('SEGMENT_ACTIVE', `usd_seq ${seq} is being written; disable CDP first`)
    if (this.get('SELECT 1 AS ok FROM view WHERE volume_id = ? AND seq = ?', volumeId, seq) !== undefined) {
      throw new CdpError('VIEW_IS_ON', `a view is exposed from usd_seq ${seq}`)
    }
    const previous = this.get<{ seq: bigint, end_time: bigint }>(
      'SELECT seq, end_time FROM segment WHERE volume_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1', volumeId, seq)
    const next = this.get<{ seq: bigint }>('SELECT seq FROM segment WHERE volume_id = ? AND seq > ? ORDER BY seq LIMIT 1', volumeId, seq)
    this.run('DELETE FROM snapshot WHERE volume_id = ? AND seq = ?', volumeId, seq)
    if (previous === undefined) {
      this.fold(volumeId, segment.end_time)
    } else {
      // Rows in the very ns the previous segment ended (one write call split by a full
      // segment) are part of its last point's image: they move back to it, else cleaning
      // this segment would tear that image.
      const kept = this.run('UPDATE journal SET seq = ? WHERE volume_id = ? AND seq = ? AND time = ?', previous.seq, volumeId, seq, previous.end_time)
      this.run('UPDATE segment SET use = use + ? WHERE volume_id = ? AND seq = ?', BigInt(kept) * BLOCK, volumeId, previous.seq)
      let carried = 0n
      if (next !== undefined) {
        // The newest row per block (max id, so newest time) moves on; the rest goes.
        const moved = this.run(`UPDATE journal SET seq = ? WHERE id IN (
          SELECT max(id) FROM journal WHERE volume_id = ? AND seq = ? GROUP BY block)`, next.seq, volumeId, seq)
        carried = BigInt(moved) * BLOCK
        this.run('UPDATE segment SET use = use + ? WHERE volume_id = ? AND seq = ?', carried, volumeId, next.seq)
      }
      this.run('DELETE FROM journal WHERE volume_id = ? AND seq = ?', volumeId, seq)
    }
    this.run('DELETE FROM segment WHERE volume_id = ? AND seq = ?', volumeId, seq)
  }

  // ---------------------------------------------------------------- points in time

  /** Checks a (snapshot, timestamp) pair the way view and revert need it. */
  private resolvePoint (volumeId: bigint, point: PointInTime, now: Ns): ResolvedPoint {
    const snapshot = this.get<{ seq: bigint, time: bigint }>('SELECT seq, time FROM snapshot WHERE volume_id = ? AND name = ?', volumeId, point.snapshot_name)
    if (snapshot === undefined) throw new CdpError('SNAPSHOT_NOT_FOUND', point.snapshot_name)
    if (point.timestamp > now) throw new CdpError('POINT_NOT_RECOVERABLE', `timestamp ${point.timestamp} is after now (${now})`)
    const segment = this.get<{ end_time: bigint | null, online: bigint, host_id: bigint, host_uuid: string }>(`
      SELECT s.end_time, h.online, h.id AS host_id, h.uuid AS host_uuid
      FROM segment s JOIN cdp_disk d ON d.id = s.disk_id JOIN host h ON h.id = d.host_id
      WHERE s.volume_id = ? AND s.seq = ?`, volumeId, snapshot.seq)
    if (segment === undefined) throw new Error(`snapshot ${point.snapshot_name} has no segment`)
    const end = segment.end_time ?? now
    if (point.timestamp < snapshot.time || point.timestamp > end) {
      throw new CdpError('SNAPSHOT_NOT_BASE', `${point.snapshot_name} covers ${snapshot.time} to ${end}, not ${point.timestamp}`)
    }
    if (segment.online !== 1n) throw new CdpError('SEGMENT_OFFLINE', `usd_seq ${snapshot.seq}`)
    return { seq: snapshot.seq, time: point.timestamp, hostId: segment.host_id, hostUuid: segment.host_uuid }
  }

  /** A time inside some online segment, at or after one of its snapshots. */
  private requireRecoverable (volumeId: bigint, at: Ns, now: Ns): void {
    if (!this.recoverableRanges(volumeId, now).some((r) => r.from <= at && at <= r.to)) {
      throw new CdpError('POINT_NOT_RECOVERABLE', `${at}`)
    }
  }

  private recoverableRanges (volumeId: bigint, now: Ns): RecoverableRange[] {
    return this.all<{ seq: bigint, from: bigint, end_time: bigint | null }>(`
      SELECT s.seq, min(sn.time) AS "from", s.end_time
      FROM segment s JOIN snapshot sn ON sn.volume_id = s.volume_id AND sn.seq = s.seq
      JOIN cdp_disk d ON d.id = s.disk_id JOIN host h ON h.id = d.host_id
      WHERE s.volume_id = ? AND h.online = 1 GROUP BY s.seq ORDER BY s.seq`, volumeId)
      .map((r) => ({ from: r.from, to: r.end_time ?? now, seq: r.seq }))
  }

  /** The image at `time`, block by block: the newest journal row at or before it, else the base. */
  private * tokensAt (volumeId: bigint, time: Ns): Generator<BlockChange> {
    const rows = this.prepare(`
      SELECT l.block, coalesce(
        (SELECT j.token FROM journal j WHERE j.volume_id = l.volume_id AND j.block = l.block AND j.time <= ?
          ORDER BY j.time DESC, j.id DESC LIMIT 1),
        (SELECT b.token FROM base_block b WHERE b.volume_id = l.volume_id AND b.block = l.block),
        0) AS token
      FROM live_block l WHERE l.volume_id = ? ORDER BY l.block`).iterate(time, volumeId)
    for (const row of rows) {
      const { block, token } = row as { block: bigint, token: bigint }
      yield { block: Number(block), token: Number(token) }
    }
  }

  private liveTokens (volumeId: bigint): Map<number, number> {
    const rows = this.all<{ block: bigint, token: bigint }>('SELECT block, token FROM live_block WHERE volume_id = ? ORDER BY block', volumeId)
    return new Map(rows.map((r) => [Number(r.block), Number(r.token)]))
  }

  // ---------------------------------------------------------------- SQL helpers

  private prepare (sql: string): Statement {
    let statement = this.statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  private get<T> (sql: string, ...params: unknown[]): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined
  }

  private all<T> (sql: string, ...params: unknown[]): T[] {
    return this.prepare(sql).all(...params) as T[]
  }

  /** Runs a statement and returns how many rows it changed. */
  private run (sql: string, ...params: unknown[]): number {
    return this.prepare(sql).run(...params).changes
  }
}

const VOLUME_SELECT = `
  SELECT v.id, v.uuid, v.name, v.size, v.multiple, v.vm_type, v.owner,
    c.uuid AS cluster_uuid, c.name AS cluster_name, c.mode AS cluster_mode,
    t.uuid AS tenant, t.name AS tenant_name, vm.running AS vm_running
  FROM volume v JOIN cluster c ON c.id = v.cluster_id JOIN tenant t ON t.id = v.tenant_id
  LEFT JOIN vm ON vm.id = v.vm_id`

function identityOf (volume: VolumeRow): VolumeIdentity {
  return {
    cluster_uuid: volume.cluster_uuid,
    cluster_name: volume.cluster_name,
    cluster_mode: volume.cluster_mode,
    tenant: volume.tenant,
    tenant_name: volume.tenant_name,
    multiple: volume.multiple === 1n,
    vm_type: volume.vm_type,
    volume_uuid: volume.uuid,
    volume_name: volume.name,
    owner: volume.owner
  }
}
