// The simulator's database file: opened with a busy timeout, 16 KiB pages, WAL, NORMAL
// syncs and foreign keys; brought to the newest schema by its numbered migrations once (a
// second open runs none); a file from a newer simulator, or one that cannot be opened, is
// refused with its path named. A file left at schema 2 is carried forward with its names
// folded for search.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { openDatabase, SCHEMA_VERSION } from '../../simulator/schema.js'

const tables = (db: Database.Database): string[] =>
  (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name)

t.test('a new file is opened with a busy timeout, 16 KiB pages, WAL, NORMAL syncs and foreign keys', async (t) => {
  const path = join(t.testdir({}), 'new.db')
  const db = openDatabase(path)
  t.teardown(() => db.close())
  t.equal(db.pragma('busy_timeout', { simple: true }), 5000)
  t.equal(db.pragma('page_size', { simple: true }), 16384)
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.pragma('synchronous', { simple: true }), 1, 'NORMAL')
  t.equal(db.pragma('foreign_keys', { simple: true }), 1)
  t.throws(() => db.prepare('INSERT INTO host (uuid, cluster_id, maddr) VALUES (?, ?, ?)').run('h', 99, 'm'), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' }, 'a host of no cluster is refused')
})

t.test('a new file is brought to the newest schema: every table of every migration, at its version', async (t) => {
  const db = openDatabase(join(t.testdir({}), 'new.db'))
  t.teardown(() => db.close())
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  t.ok(SCHEMA_VERSION >= 11, 'eleven migrations at least')
  const names = tables(db)
  // The first migration's, the ones after, and the last one's; what a later one dropped is gone.
  for (const name of ['meta', 'cluster', 'volume', 'cdp', 'journal', 'tenant_share', 'content', 'event', 'snapshot', 'disk_fault', 'unjournaled_block', 'volume_search_log']) {
    t.ok(names.includes(name), name)
  }
  t.notOk(names.includes('view_block'), 'dropped by its migration')
  t.notOk(names.includes('snapshot_by_segment'), 'renamed to snapshot')
  const volumeColumns = (db.prepare('SELECT name FROM pragma_table_info(?)').all('volume') as Array<{ name: string }>).map((r) => r.name)
  t.ok(volumeColumns.includes('search_name'))
})

t.test('a file opened again runs no migration and keeps its rows; so does an in-memory database opened fresh', async (t) => {
  const path = join(t.testdir({}), 'again.db')
  const first = openDatabase(path)
  first.prepare("INSERT INTO meta (key, value) VALUES ('kept', 1)").run()
  first.close()
  const again = openDatabase(path)
  t.teardown(() => again.close())
  t.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  t.strictSame(again.prepare('SELECT key, value FROM meta').all(), [{ key: 'kept', value: 1 }])
  const memory = openDatabase(':memory:')
  t.equal(memory.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  t.equal(memory.pragma('foreign_keys', { simple: true }), 1)
  memory.close()
})

t.test('a file from a newer simulator is refused, its path and both versions named, and left as it was', async (t) => {
  const path = join(t.testdir({}), 'newer.db')
  const newer = SCHEMA_VERSION + 1
  const raw = new Database(path)
  raw.pragma(`user_version = ${newer}`)
  raw.close()
  t.throws(() => openDatabase(path), { message: `cannot open the simulator database ${path}: database schema ${newer} is newer than this simulator's ${SCHEMA_VERSION}` })
  const after = new Database(path)
  t.equal(after.pragma('user_version', { simple: true }), newer)
  t.strictSame(tables(after), [], 'nothing created')
  after.close()
})

t.test('a file that cannot be opened names its path', async (t) => {
  const path = join(t.testdir({}), 'no-such-dir', 'x.db')
  t.throws(() => openDatabase(path), { message: new RegExp(`^cannot open the simulator database ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .+`) })
  const notDb = join(t.testdir({ 'text.db': 'this is not a database, only some text that is long enough to have a header'.repeat(20) }), 'text.db')
  t.throws(() => openDatabase(notDb), { message: `cannot open the simulator database ${notDb}: file is not a database` })
})

/** What the schema's first two migrations left that the later ones read or change (a file of schema 2). */
function schemaTwoFile (path: string): void {
  const db = new Database(path)
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) STRICT;
    CREATE TABLE volume (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, cluster_id INTEGER NOT NULL, namespace_id INTEGER NOT NULL, tenant_id INTEGER NOT NULL) STRICT;
    CREATE VIRTUAL TABLE volume_search USING fts5(name, uuid, content='volume', content_rowid='id', tokenize='trigram');
    CREATE TABLE live_block (volume_id INTEGER NOT NULL, block INTEGER NOT NULL, token INTEGER NOT NULL, PRIMARY KEY (volume_id, block)) STRICT, WITHOUT ROWID;
    CREATE TABLE cdp (volume_id INTEGER PRIMARY KEY, state TEXT NOT NULL) STRICT;
    CREATE TABLE segment (volume_id INTEGER NOT NULL, seq INTEGER NOT NULL, start_time INTEGER NOT NULL, io_last_time INTEGER, end_time INTEGER, PRIMARY KEY (volume_id, seq)) STRICT, WITHOUT ROWID;
    CREATE TABLE snapshot (volume_id INTEGER NOT NULL, name TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, PRIMARY KEY (volume_id, name)) STRICT, WITHOUT ROWID;
    CREATE TABLE view_block (volume_id INTEGER NOT NULL, block INTEGER NOT NULL, token INTEGER NOT NULL, PRIMARY KEY (volume_id, block)) STRICT, WITHOUT ROWID;
    CREATE TABLE journal (id INTEGER PRIMARY KEY, volume_id INTEGER NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, block INTEGER NOT NULL, token INTEGER NOT NULL) STRICT;
    CREATE INDEX journal_by_time ON journal (volume_id, time);
    CREATE INDEX journal_by_block ON journal (volume_id, block, time);
    INSERT INTO journal (volume_id, seq, time, block, token) VALUES (1, 0, 150, 3, 0), (1, 0, 160, 3, 0);
    INSERT INTO volume (id, uuid, name, cluster_id, namespace_id, tenant_id) VALUES (1, 'u-1', 'Straße-ÉCOLE', 1, 1, 1), (2, 'u-2', 'ΣΟΦΙΑ', 1, 1, 1);
    INSERT INTO volume_search (volume_search) VALUES ('rebuild');
    INSERT INTO cdp (volume_id, state) VALUES (1, 'on'), (2, 'off');
    INSERT INTO segment (volume_id, seq, start_time, io_last_time, end_time) VALUES (1, 0, 100, 250, 200), (1, 1, 300, NULL, NULL);
    INSERT INTO live_block (volume_id, block, token) VALUES (2, 5, 0);
    PRAGMA user_version = 2;
  `)
  db.close()
}

t.test('a file of schema 2 is carried to the newest: names folded for search (a rebuilt index finds them), its rows kept', async (t) => {
  const path = join(t.testdir({}), 'two.db')
  schemaTwoFile(path)
  const db = openDatabase(path)
  t.teardown(() => db.close())
  t.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION)
  t.strictSame(db.prepare('SELECT id, search_name FROM volume ORDER BY id').all(), [{ id: 1, search_name: 'strasse-école' }, { id: 2, search_name: 'σοφια' }])
  t.strictSame(db.prepare("SELECT rowid FROM volume_search WHERE volume_search MATCH 'search_name:strasse'").all(), [{ rowid: 1 }])
  t.strictSame(db.prepare('SELECT volume_id, last_change, on_since FROM cdp ORDER BY volume_id').all(), [{ volume_id: 1, last_change: 300, on_since: 100 }, { volume_id: 2, last_change: 0, on_since: null }])
  t.strictSame(db.prepare('SELECT volume_id, block FROM unjournaled_block').all(), [{ volume_id: 2, block: 5 }], 'the block written while off')
  t.strictSame(db.prepare('SELECT time FROM journal WHERE volume_id = 1 AND block = 3 AND time <= 155 ORDER BY time DESC, id DESC LIMIT 1').all(), [{ time: 150 }], 'the journal kept')
  t.match(db.prepare('EXPLAIN QUERY PLAN SELECT token FROM journal WHERE volume_id = 1 AND block = 3 AND time <= 155 ORDER BY time DESC, id DESC LIMIT 1').all(),
    [{ detail: /COVERING INDEX journal_by_block/ }], 'a block\'s newest row at a time, and its token, from the index alone')
})
