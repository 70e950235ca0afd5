// The SQL handle over a plain better-sqlite3 database: statements prepared once, write
// transactions taken at once, savepoints that undo only their own work, a full disk turned
// into STORAGE_FULL, and many-row inserts split into statements of at most 64 rows.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { CdpError } from '../../src/errors.js'
import { rowInserter, type Sql, sqlOver } from '../../simulator/sql.js'

function pairsSql (onDiskFull?: () => void): Sql {
  const db = new Database(':memory:')
  db.exec('CREATE TABLE pair (a INTEGER PRIMARY KEY, b INTEGER NOT NULL)')
  return sqlOver(db, onDiskFull)
}

const pairs = (sql: Sql): number[][] => sql.all<{ a: number, b: number }>('SELECT a, b FROM pair ORDER BY a').map((r) => [r.a, r.b])

t.test('a statement is prepared once per text; run counts the rows it changed; get and all read', async (t) => {
  const sql = pairsSql()
  t.equal(sql.prepare('SELECT a FROM pair'), sql.prepare('SELECT a FROM pair'), 'the same statement again')
  t.equal(sql.run('INSERT INTO pair (a, b) VALUES (?, ?), (?, ?)', 1, 10, 2, 20), 2)
  t.equal(sql.run('UPDATE pair SET b = b + 1 WHERE a > ?', 5), 0)
  t.strictSame(sql.get('SELECT b FROM pair WHERE a = ?', 2), { b: 20 })
  t.equal(sql.get('SELECT b FROM pair WHERE a = ?', 3), undefined)
  t.strictSame(pairs(sql), [[1, 10], [2, 20]])
  t.equal(sql.open, true)
  sql.close()
  t.equal(sql.open, false)
  t.doesNotThrow(() => sql.close(), 'closing twice is fine')
})

t.test('a transaction is open only while its function runs; one that throws writes nothing', async (t) => {
  const sql = pairsSql()
  t.teardown(() => sql.close())
  t.equal(sql.transactionOpen, false)
  t.equal(sql.inTransaction(() => { sql.run('INSERT INTO pair VALUES (1, 1)'); return sql.transactionOpen }), true)
  t.equal(sql.transactionOpen, false)
  t.throws(() => sql.inTransaction(() => { sql.run('INSERT INTO pair VALUES (2, 2)'); throw new Error('no') }), { message: 'no' })
  t.strictSame(pairs(sql), [[1, 1]])
})

t.test('a write transaction holds the write lock from its start, before it writes', async (t) => {
  const file = join(t.testdir(), 'lock.db')
  const sql = sqlOver(new Database(file))
  const other = new Database(file, { timeout: 0 })
  t.teardown(() => { other.close(); sql.close() })
  sql.run('CREATE TABLE pair (a INTEGER PRIMARY KEY, b INTEGER NOT NULL)')
  const busy = sql.inTransaction(() => {
    try {
      other.exec('BEGIN IMMEDIATE')
      other.exec('ROLLBACK')
      return 'free'
    } catch (err) {
      return (err as { code?: string }).code
    }
  })
  t.equal(busy, 'SQLITE_BUSY')
})

t.test('a savepoint that throws undoes only its own work; the transaction around it goes on', async (t) => {
  const sql = pairsSql()
  t.teardown(() => sql.close())
  sql.inTransaction(() => {
    sql.run('INSERT INTO pair VALUES (1, 1)')
    t.throws(() => sql.inSavepoint(() => { sql.run('INSERT INTO pair VALUES (2, 2)'); throw new Error('inner') }), { message: 'inner' })
    t.equal(sql.inSavepoint(() => sql.run('INSERT INTO pair VALUES (3, 3)')), 1)
  })
  t.strictSame(pairs(sql), [[1, 1], [3, 3]])
})

t.test('a full disk is STORAGE_FULL and heard of; any other failure passes through as it was', async (t) => {
  let heard = 0
  const sql = pairsSql(() => { heard++ })
  t.teardown(() => sql.close())
  const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
  const err = t.throws(() => sql.inTransaction(() => { throw full }))
  t.ok(err instanceof CdpError && err.code === 'STORAGE_FULL', String(err))
  t.match((err as CdpError).desc, /disk .*full/, 'its description says the disk is full')
  t.equal(heard, 1)
  const other = Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT' })
  t.equal(t.throws(() => sql.inTransaction(() => { throw other })), other)
  const nothing: unknown = null
  t.equal(t.throws(() => sql.inTransaction(() => { throw nothing })), null, 'even a thrown null')
  t.equal(heard, 1)
  const alone = pairsSql()
  t.match(t.throws(() => alone.inTransaction(() => { throw full })), { code: 'STORAGE_FULL' }, 'no listener given')
  alone.close()
})

t.test('rows go in, in order, whatever their count, across statements of at most 64 rows', async (t) => {
  const sql = pairsSql()
  t.teardown(() => sql.close())
  const insert = rowInserter('INSERT INTO pair (a, b) VALUES', 'ON CONFLICT DO UPDATE SET b = excluded.b', 2)
  let next = 0
  for (const count of [0, 1, 63, 64, 65, 128, 200]) {
    const values: number[] = []
    for (let i = 0; i < count; i++) values.push(next + i, (next + i) * 7)
    insert(sql, values)
    next += count
    t.equal(pairs(sql).length, next, `${count} rows`)
  }
  t.strictSame(pairs(sql), Array.from({ length: next }, (_, a) => [a, a * 7]))
  insert(sql, [0, -1, 199, -2])
  t.strictSame([pairs(sql)[0], pairs(sql)[199]], [[0, -1], [199, -2]], 'the clause after the rows applies')
})

t.test('with no clause after the rows, more than 64 rows go in each once, in order', async (t) => {
  const db = new Database(':memory:')
  db.exec('CREATE TABLE seen (n INTEGER NOT NULL)')
  const sql = sqlOver(db)
  t.teardown(() => sql.close())
  const insert = rowInserter('INSERT INTO seen (n) VALUES', '', 1)
  for (const count of [65, 130, 200]) {
    db.exec('DELETE FROM seen')
    const values = Array.from({ length: count }, (_, i) => count * 1000 + i)
    insert(sql, values)
    t.strictSame(sql.all<{ n: number }>('SELECT n FROM seen ORDER BY rowid').map((r) => r.n), values, `${count} rows`)
  }
})
