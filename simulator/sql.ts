// The one SQL handle every rule module works over: statements prepared once and reused,
// and the two kinds of transaction the simulator needs.
import type { Database, Statement } from 'better-sqlite3'
import { CdpError } from '../src/errors.js'

export interface Sql {
  /** The statement for `sql`, prepared on first use. */
  prepare: (sql: string) => Statement
  get: <T>(sql: string, ...params: unknown[]) => T | undefined
  all: <T>(sql: string, ...params: unknown[]) => T[]
  /** Runs a statement and returns how many rows it changed. */
  run: (sql: string, ...params: unknown[]) => number
  /** Runs `fn` in a write transaction taken at once (BEGIN IMMEDIATE), so two processes never deadlock upgrading a read. */
  inTransaction: <T>(fn: () => T) => T
  /** Runs `fn` in a savepoint inside the current transaction: if it throws, only its own work is undone. */
  inSavepoint: <T>(fn: () => T) => T
  readonly open: boolean
  /** A transaction is under way on this handle (what it has written may yet be undone). */
  readonly transactionOpen: boolean
  close: () => void
}

/** SQLite's answer when the disk under the database is full; the transaction was rolled back. */
function isDiskFull (err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_FULL'
}

/** `onDiskFull` hears of every write refused because the disk is full. */
export function sqlOver (db: Database, onDiskFull: () => void = () => {}): Sql {
  const statements = new Map<string, Statement>()
  const transaction = db.transaction((fn: () => unknown) => fn())
  const immediate = <T>(fn: () => T): T => {
    try {
      return transaction.immediate(fn) as T
    } catch (err) {
      if (!isDiskFull(err)) throw err
      onDiskFull()
      throw new CdpError('STORAGE_FULL', 'the disk under the simulator database is full')
    }
  }
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql)
    if (statement === undefined) {
      statement = db.prepare(sql)
      statements.set(sql, statement)
    }
    return statement
  }
  return {
    prepare,
    get: <T>(sql: string, ...params: unknown[]) => prepare(sql).get(...params) as T | undefined,
    all: <T>(sql: string, ...params: unknown[]) => prepare(sql).all(...params) as T[],
    run: (sql, ...params) => prepare(sql).run(...params).changes,
    inTransaction: immediate,
    // Nested inside a transaction, better-sqlite3's transaction function is a savepoint.
    inSavepoint: <T>(fn: () => T) => transaction(fn) as T,
    get open () { return db.open },
    get transactionOpen () { return db.inTransaction },
    close: () => { if (db.open) db.close() }
  }
}

/** Rows one INSERT carries at most: a statement run per row cost about twice as much per row. */
const ROWS_PER_INSERT = 64

/**
 * An inserter of rows of `width` values each (given flat, row after row) with `insert` (an
 * `INSERT … VALUES` clause without its rows) and `after` (an ON CONFLICT clause, or empty),
 * up to ROWS_PER_INSERT rows per statement, in order. Each statement's text is built once
 * per row count: building it per call was a tenth of a one-block write.
 */
export function rowInserter (insert: string, after: string, width: number): (sql: Sql, values: unknown[]) => void {
  const row = `(${Array(width).fill('?').join(', ')})`
  const texts: string[] = []
  const textFor = (rows: number): string => (texts[rows] ??= `${insert} ${Array(rows).fill(row).join(', ')} ${after}`)
  const chunkLength = width * ROWS_PER_INSERT
  return (sql, values) => {
    if (values.length <= chunkLength) {
      if (values.length > 0) sql.prepare(textFor(values.length / width)).run(values)
      return
    }
    for (let at = 0; at < values.length; at += chunkLength) {
      const chunk = values.slice(at, at + chunkLength)
      sql.prepare(textFor(chunk.length / width)).run(chunk)
    }
  }
}
