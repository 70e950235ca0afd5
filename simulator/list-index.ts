// List's name index: every CDP volume's folded name, uuid and scope, kept in memory in list
// order with a trigram index over the folded names. SQLite's FTS5 walks the posting list of
// a filter's first trigram, which for names like vol-000123 holds every volume; here the
// two rarest trigrams' lists are intersected, and each candidate is checked against the
// whole filter. The index follows volume_search_log (migration 11), which triggers fill on
// every change of a name or of who has CDP, from any process on the file; so it is exact
// after `refresh()` without any code path having to remember it.
import { compareCodePoints, type ListKey } from '../src/list-order.js'
import type { Sql } from './sql.js'

/** What list needs of a CDP volume to decide whether it matches and where it goes. */
export interface IndexEntry {
  id: number
  name: string
  uuid: string
  /** The folded name (src/search-fold.ts), the same string as `name` when folding changes nothing. */
  searchName: string
  namespaceId: number
  tenantId: number
}

/** A filter's matches in list order, and how many are in each namespace. */
export interface Matches { entries: readonly IndexEntry[], perNamespace: ReadonlyMap<number, number> }

type EntryRow = [id: number, name: string, uuid: string, searchName: string, clusterId: number, namespaceId: number, tenantId: number]

const ENTRY_COLUMNS = 'v.id, v.name, v.uuid, v.search_name, v.cluster_id, v.namespace_id, v.tenant_id'

/** A candidate list this much shorter than the cluster's is worth sorting; a longer one is found by walking it in order. */
const WALK_FRACTION = 8

/** How many recent answers a cluster keeps (list-index's `matching`). */
const KEPT_ANSWERS = 16

/** Uuids are lowercase hex and dashes: a folded filter with anything else cannot match one. */
const UUID_TEXT = /^[0-9a-f-]+$/

function byListOrder (a: Pick<IndexEntry, 'name' | 'uuid'>, b: Pick<IndexEntry, 'name' | 'uuid'>): number {
  return compareCodePoints(a.name, b.name) || compareCodePoints(a.uuid, b.uuid)
}

/** How many of `entries` (in list order) are at or before `key`: where the items after it start. */
export function countUpTo (entries: readonly IndexEntry[], key: ListKey): number {
  const probe = { name: key.volume_name, uuid: key.volume_uuid.toLowerCase() }
  let low = 0
  let high = entries.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (byListOrder(entries[mid] as IndexEntry, probe) <= 0) low = mid + 1
    else high = mid
  }
  return low
}

/** The distinct three-code-unit pieces of `text` (a filter's pieces are among a match's). */
function trigrams (text: string): Set<string> {
  const pieces = new Set<string>()
  for (let i = 0; i + 3 <= text.length; i++) pieces.add(text.slice(i, i + 3))
  return pieces
}

/** The entries of ascending `a` that are in ascending `b`. */
function intersect (a: readonly number[], b: readonly number[]): number[] {
  const both: number[] = []
  let j = 0
  for (const slot of a) {
    while (j < b.length && (b[j] as number) < slot) j++
    if (j === b.length) break
    if (b[j] === slot) both.push(slot)
  }
  return both
}

/** One cluster's CDP volumes. */
export class ClusterEntries {
  /** By slot, in the order added; a removed entry leaves a hole that posting lists may still name. */
  private readonly slots: Array<IndexEntry | undefined> = []
  private readonly slotOf = new Map<number, number>()
  private readonly postings = new Map<string, number[]>()
  /** Live entries in list order. */
  readonly sorted: IndexEntry[] = []
  /** How many entries each namespace has. */
  private readonly perNamespace = new Map<number, number>()
  holes = 0
  /** Recent answers of `matching`, oldest first; emptied by every change. */
  private readonly kept = new Map<string, Matches>()

  /** Every namespace that has an entry is in `namespaces`. */
  coversAll (namespaces: ReadonlySet<number>): boolean {
    for (const ns of this.perNamespace.keys()) if (!namespaces.has(ns)) return false
    return true
  }

  /** `entry`, appended when it sorts after every entry (a rebuild adds them in order). */
  add (entry: IndexEntry): void {
    this.kept.clear()
    const slot = this.slots.length
    this.slots.push(entry)
    this.slotOf.set(entry.id, slot)
    for (const piece of trigrams(entry.searchName)) {
      const list = this.postings.get(piece)
      if (list === undefined) this.postings.set(piece, [slot])
      else list.push(slot)
    }
    const last = this.sorted[this.sorted.length - 1]
    if (last === undefined || byListOrder(last, entry) < 0) this.sorted.push(entry)
    else this.sorted.splice(this.position(entry), 0, entry)
    this.perNamespace.set(entry.namespaceId, (this.perNamespace.get(entry.namespaceId) ?? 0) + 1)
  }

  remove (id: number): void {
    const slot = this.slotOf.get(id)
    const entry = slot === undefined ? undefined : this.slots[slot]
    if (slot === undefined || entry === undefined) return
    this.kept.clear()
    this.slots[slot] = undefined
    this.slotOf.delete(id)
    this.holes++
    this.sorted.splice(this.position(entry), 1)
    const left = (this.perNamespace.get(entry.namespaceId) ?? 1) - 1
    if (left === 0) this.perNamespace.delete(entry.namespaceId)
    else this.perNamespace.set(entry.namespaceId, left)
  }

  /** Where `entry` is, or would go, in `sorted`. */
  private position (key: IndexEntry): number {
    let low = 0
    let high = this.sorted.length
    while (low < high) {
      const mid = (low + high) >>> 1
      if (byListOrder(this.sorted[mid] as IndexEntry, key) < 0) low = mid + 1
      else high = mid
    }
    return low
  }

  /**
   * The entries `inScope` accepts whose folded name or uuid holds `filter` (already folded;
   * empty matches every name), in list order. `scope` names what `inScope` accepts; the
   * answer is kept for the same scope and filter until an entry is added or removed, so
   * paging through one filtered list finds its matches once. `uuidHits` names the volumes
   * whose uuid may hold the filter.
   */
  matching (filter: string, scope: string, inScope: (entry: IndexEntry) => boolean, uuidHits: () => Iterable<number>): Matches {
    const key = `${scope}\u0000${filter}`
    const kept = this.kept.get(key)
    if (kept !== undefined) return kept
    const entries = this.find(filter, inScope, uuidHits)
    const perNamespace = new Map<number, number>()
    for (const entry of entries) perNamespace.set(entry.namespaceId, (perNamespace.get(entry.namespaceId) ?? 0) + 1)
    const found = { entries, perNamespace }
    if (this.kept.size >= KEPT_ANSWERS) this.kept.delete(this.kept.keys().next().value as string)
    this.kept.set(key, found)
    return found
  }

  private find (filter: string, inScope: (entry: IndexEntry) => boolean, uuidHits: () => Iterable<number>): IndexEntry[] {
    const inUuid = UUID_TEXT.test(filter)
    const matches = (entry: IndexEntry): boolean =>
      inScope(entry) && (entry.searchName.includes(filter) || (inUuid && entry.uuid.includes(filter)))
    const candidates = this.nameCandidates(filter)
    if (candidates === undefined) return this.sorted.filter(matches)
    const found = new Set<IndexEntry>()
    for (const slot of candidates) {
      const entry = this.slots[slot]
      if (entry !== undefined && matches(entry)) found.add(entry)
    }
    if (inUuid) {
      for (const id of uuidHits()) {
        const slot = this.slotOf.get(id)
        const entry = slot === undefined ? undefined : this.slots[slot]
        if (entry !== undefined && matches(entry)) found.add(entry)
      }
    }
    return [...found].sort(byListOrder)
  }

  /**
   * The slots whose folded names may hold `filter`: those in both of its two rarest
   * trigrams' lists. Undefined when walking every entry is cheaper (a filter too short to
   * have a trigram, or one whose rarest trigram is in many names).
   */
  private nameCandidates (filter: string): readonly number[] | undefined {
    const lists: number[][] = []
    for (const piece of trigrams(filter)) {
      const list = this.postings.get(piece)
      if (list === undefined) return []
      lists.push(list)
    }
    if (lists.length === 0) return undefined
    lists.sort((a, b) => a.length - b.length)
    const [rarest, next] = lists as [number[], number[] | undefined]
    if (rarest.length * WALK_FRACTION > this.sorted.length) return undefined
    return next === undefined ? rarest : intersect(rarest, next)
  }
}

/** Every cluster's CDP volumes, as of the newest volume_search_log entry applied. */
export class ListIndex {
  private clusters = new Map<number, ClusterEntries>()
  private readonly clusterOf = new Map<number, ClusterEntries>()
  /** The newest log id applied; undefined before the first build. */
  private applied: number | undefined

  constructor (private readonly sql: Sql) {}

  /** The cluster's entries, brought up to what the database file holds now. */
  entriesOf (clusterId: number): ClusterEntries | undefined {
    this.refresh()
    return this.clusters.get(clusterId)
  }

  /** Applies the changes logged since the last call; rebuilds when they are many, or lost to the log's bound. */
  private refresh (): void {
    // Bare min() and max() are one b-tree step each; wrapped in anything SQLite scans the table.
    const newest = Number(this.sql.prepare('SELECT max(id) FROM volume_search_log').pluck().get() ?? 0)
    if (newest === this.applied) return
    const applied = this.applied
    if (applied === undefined || newest < applied) return this.rebuild(newest)
    const oldest = Number(this.sql.prepare('SELECT min(id) FROM volume_search_log').pluck().get() ?? 0)
    if (oldest > applied + 1) return this.rebuild(newest)
    const changed = this.sql.prepare('SELECT DISTINCT volume_id FROM volume_search_log WHERE id > ? AND id <= ?')
      .pluck().safeIntegers(false).all(applied, newest) as number[]
    if (changed.length > Math.max(1024, this.clusterOf.size / 16)) return this.rebuild(newest)
    const current = this.sql.prepare(`SELECT ${ENTRY_COLUMNS} FROM volume v JOIN cdp ON cdp.volume_id = v.id WHERE v.id = ?`)
      .raw().safeIntegers(false)
    for (const id of changed) {
      this.clusterOf.get(id)?.remove(id)
      this.clusterOf.delete(id)
      const row = current.get(id) as EntryRow | undefined
      if (row !== undefined) this.place(row)
    }
    this.applied = newest
    for (const entries of this.clusters.values()) {
      if (entries.holes > Math.max(1024, entries.sorted.length)) return this.rebuild(newest)
    }
  }

  /** Reads every CDP volume again, in list order (SQLite's binary collation is code point order). */
  private rebuild (newest: number): void {
    this.clusters = new Map()
    this.clusterOf.clear()
    const rows = this.sql.prepare(`SELECT ${ENTRY_COLUMNS} FROM cdp JOIN volume v ON v.id = cdp.volume_id
      ORDER BY v.cluster_id, v.name, v.uuid`).raw().safeIntegers(false)
    for (const row of rows.iterate() as IterableIterator<EntryRow>) this.place(row)
    this.applied = newest
  }

  private place ([id, name, uuid, searchName, clusterId, namespaceId, tenantId]: EntryRow): void {
    let entries = this.clusters.get(clusterId)
    if (entries === undefined) {
      entries = new ClusterEntries()
      this.clusters.set(clusterId, entries)
    }
    entries.add({ id, name, uuid, searchName: searchName === name ? name : searchName, namespaceId, tenantId })
    this.clusterOf.set(id, entries)
  }
}
