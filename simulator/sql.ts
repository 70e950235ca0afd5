// The one SQL handle every rule module works over: statements prepared once and reused,
// and the two kinds of transaction the simulator needs.
import type { Database, Statement } from 'better-sqlite3'

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
  close: () => void
}

export function sqlOver (db: Database): Sql {
  const statements = new Map<string, Statement>()
  const transaction = db.transaction((fn: () => unknown) => fn())
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
    inTransaction: <T>(fn: () => T) => transaction.immediate(fn) as T,
    // Nested inside a transaction, better-sqlite3's transaction function is a savepoint.
    inSavepoint: <T>(fn: () => T) => transaction(fn) as T,
    get open () { return db.open },
    close: () => { if (db.open) db.close() }
  }
}
