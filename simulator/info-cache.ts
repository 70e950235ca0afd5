// The info cache: a volume's last info answer, kept where the HTTP layer runs, and given
// again while it is exactly right. It is right while three things stand: the simulator's
// change count (every row its connection changes moves it), the database file's
// data_version on a connection of the cache's own (it moves when any other connection, in
// any process, commits), and the clock before the answer's valid-until (the first ns at
// which time alone could change it: a due auto snapshot, a point leaving reserve_duration).
// A hit needs neither the simulator's thread nor SQL beyond one pragma, so a small info
// never waits behind a heavy call; a miss asks the simulator, and waits as any call does.
import Database from 'better-sqlite3'
import type { CdpInfo, Ns, VolumeRef } from '../src/backend/port.js'

/** An info answer as the simulator gives it to a cache. */
export interface InfoEntry {
  info: CdpInfo
  /** The answer holds for every now before this ns, unless something changes. */
  validUntil: Ns
  /** The simulator's change count the answer was read at. */
  changes: bigint
}

/** What the cache checks an entry against. */
export interface InfoCacheSources {
  /** The simulator's change count now (it may lag a change whose call has not answered yet). */
  changes: () => bigint
  /** A number that moves whenever another connection commits to the database file. */
  dataVersion: () => number
  /** The simulator clock's now; undefined for a manual clock, which moves only by a change. */
  now: () => Ns | undefined
}

interface Kept extends InfoEntry { dataVersion: number }

/** One entry per volume asked for. A kept answer is handed to every caller as it is: callers read it, never change it. */
export class InfoCache {
  private readonly kept = new Map<string, Kept>()

  constructor (private readonly sources: InfoCacheSources) {}

  /** The volume's info: the kept answer while it is exactly right, else `read`'s, kept. */
  async info (ref: VolumeRef, read: (ref: VolumeRef) => Promise<InfoEntry>): Promise<CdpInfo> {
    const key = keyOf(ref)
    // Read before asking: a commit after this point, even one the answer saw, drops the entry.
    const dataVersion = this.sources.dataVersion()
    const kept = this.kept.get(key)
    if (kept !== undefined && kept.dataVersion === dataVersion && kept.changes === this.sources.changes()) {
      const now = this.sources.now()
      if (now === undefined || now < kept.validUntil) return kept.info
    }
    const entry = await read(ref)
    this.kept.set(key, { ...entry, dataVersion })
    return entry.info
  }
}

/** Refs that name a volume the same way share an entry; only answers are kept, never refusals. */
const keyOf = (ref: VolumeRef): string =>
  JSON.stringify([ref.cluster_uuid.toLowerCase(), ref.volume_uuid.toLowerCase(), ref.tenant?.toLowerCase() ?? null])

/**
 * PRAGMA data_version on a read-only connection of its own to `dbPath`; an in-memory
 * database has no file another process could open, so nothing but the simulator itself can
 * change it and the version stays 0.
 */
export function dataVersionOf (dbPath: string): { read: () => number, close: () => void } {
  if (dbPath === ':memory:' || dbPath === '') return { read: () => 0, close: () => {} }
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  const version = db.prepare('PRAGMA data_version').pluck()
  return { read: () => version.get() as number, close: () => { db.close() } }
}
