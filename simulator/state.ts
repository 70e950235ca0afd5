// The simulator's whole state as one unit, for test harnesses: back to a topology's first
// state (reset), out to a SQLite file (an online backup) and in from one. Each replacement is
// one transaction, so a client sees the old state or the new one, never a mix.
import { readFile, rm } from 'node:fs/promises'
import Database from 'better-sqlite3'
import { CdpError } from '../src/errors.js'
import type { Ns } from '../src/backend/port.js'
import { SCHEMA_VERSION } from './schema.js'
import { seedTopology } from './seed.js'
import type { Topology } from './topology.js'

type Db = Database.Database

/** The state tables in the order they were made (parents first), the list-search index (rebuilt from `volume`) and SQLite's own left out. */
function stateTables (db: Db, schema = 'main'): string[] {
  return db.prepare(`SELECT name FROM "${schema}".sqlite_schema WHERE type = 'table'
    AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'volume_search%' ORDER BY rowid`).pluck().all() as string[]
}

/** Empties every state table; foreign keys are checked at the end of the transaction. */
function clearAll (db: Db): void {
  db.pragma('defer_foreign_keys = ON')
  for (const table of stateTables(db)) db.prepare(`DELETE FROM "${table}"`).run()
  db.exec("INSERT INTO volume_search (volume_search) VALUES ('delete-all')")
}

/** Where a manual clock stands after a reset or a load that carries none. */
function setManualClock (db: Db, start: Ns): void {
  db.prepare("INSERT INTO meta (key, value) VALUES ('manual_clock', ?) ON CONFLICT DO UPDATE SET value = excluded.value").run(start)
}

/** The topology's first state: no CDP, no content, hosts online, VMs as listed; a manual clock at `clockStart`. */
export function resetState (db: Db, topology: Topology, clockStart: Ns | undefined): void {
  db.transaction(() => {
    clearAll(db)
    seedTopology(db, topology)
    if (clockStart !== undefined) setManualClock(db, clockStart)
  }).immediate()
}

/** The database as a SQLite file's bytes, by online backup (other calls go on meanwhile). */
export async function saveState (db: Db, scratch: string): Promise<Buffer> {
  try {
    await db.backup(scratch)
    return await readFile(scratch)
  } finally {
    await rm(scratch, { force: true })
    await rm(`${scratch}-wal`, { force: true })
    await rm(`${scratch}-shm`, { force: true })
  }
}

const badFile = (desc: string): never => { throw new CdpError('INVALID_STATE_FILE', desc) }

/** Refuses a file that is no simulator database of this schema version, or a damaged one. */
function checkStateFile (file: string): void {
  let db: Db | undefined
  try {
    db = new Database(file, { readonly: true, fileMustExist: true })
    const version = db.pragma('user_version', { simple: true }) as number
    if (version !== SCHEMA_VERSION) badFile(`schema version ${version}, this simulator's is ${SCHEMA_VERSION}`)
    const integrity = db.pragma('integrity_check', { simple: true }) as string
    if (integrity !== 'ok') badFile(`integrity check: ${integrity}`)
    if ((db.pragma('foreign_key_check') as unknown[]).length > 0) badFile('foreign keys do not hold')
    if (db.prepare('SELECT 1 FROM cluster LIMIT 1').get() === undefined) badFile('it models no cluster')
  } catch (err) {
    if (err instanceof CdpError) throw err
    badFile(`not a SQLite database of the simulator: ${(err as Error).message}`)
  } finally {
    db?.close()
  }
}

/**
 * Replaces the whole state with a saved file's, checked first: a bad file changes nothing.
 * A manual clock takes the file's time (its own start if the file has none).
 */
export function loadState (db: Db, file: string, clockStart: Ns | undefined): void {
  checkStateFile(file)
  db.prepare("ATTACH DATABASE ? AS 'loaded'").run(file)
  try {
    db.transaction(() => {
      clearAll(db)
      // OR REPLACE: rows that triggers derive while copying (cdp_count) take the file's values.
      for (const table of stateTables(db)) db.prepare(`INSERT OR REPLACE INTO main."${table}" SELECT * FROM loaded."${table}"`).run()
      db.exec("INSERT INTO volume_search (volume_search) VALUES ('rebuild')")
      const hasClock = db.prepare("SELECT 1 FROM meta WHERE key = 'manual_clock'").get() !== undefined
      if (clockStart !== undefined && !hasClock) setManualClock(db, clockStart)
    }).immediate()
  } finally {
    db.exec('DETACH DATABASE loaded')
  }
}
