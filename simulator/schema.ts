// The simulator's database: opened with WAL and foreign keys, brought to the newest schema by
// numbered migrations (PRAGMA user_version says which have run).
import Database from 'better-sqlite3'
import { foldForSearch } from '../src/search-fold.js'

const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) STRICT;

  -- topology
  CREATE TABLE cluster (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, mode TEXT NOT NULL) STRICT;
  CREATE TABLE tenant (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL) STRICT;
  CREATE TABLE namespace (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE,
    cluster_id INTEGER NOT NULL REFERENCES cluster,
    open_to_all INTEGER NOT NULL          -- 1: every tenant sees it; 0: those in namespace_tenant
  ) STRICT;
  CREATE TABLE namespace_tenant (
    namespace_id INTEGER NOT NULL REFERENCES namespace, tenant_id INTEGER NOT NULL REFERENCES tenant,
    PRIMARY KEY (namespace_id, tenant_id)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE host (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, cluster_id INTEGER NOT NULL REFERENCES cluster,
    maddr TEXT NOT NULL, online INTEGER NOT NULL DEFAULT 1
  ) STRICT;
  CREATE TABLE cdp_disk (
    id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL REFERENCES host, path TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    reserved INTEGER NOT NULL DEFAULT 0,  -- sum of reserve_capacity placed here
    UNIQUE (host_id, path)
  ) STRICT;
  CREATE TABLE vm (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, running INTEGER NOT NULL) STRICT;
  CREATE TABLE volume (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, size INTEGER NOT NULL,
    cluster_id INTEGER NOT NULL REFERENCES cluster, namespace_id INTEGER NOT NULL REFERENCES namespace,
    tenant_id INTEGER NOT NULL REFERENCES tenant, vm_id INTEGER REFERENCES vm,
    multiple INTEGER NOT NULL, vm_type TEXT NOT NULL, owner TEXT NOT NULL
  ) STRICT;
  CREATE INDEX volume_by_name ON volume (cluster_id, name, uuid);
  -- substring search for list's filter_name: trigrams of names and uuids (filled after seeding)
  CREATE VIRTUAL TABLE volume_search USING fts5(name, uuid, content='volume', content_rowid='id', tokenize='trigram');

  -- the volume's current content: every block ever written, zeroed ones included
  CREATE TABLE live_block (
    volume_id INTEGER NOT NULL REFERENCES volume, block INTEGER NOT NULL, token INTEGER NOT NULL,
    PRIMARY KEY (volume_id, block)
  ) STRICT, WITHOUT ROWID;

  -- a volume's CDP: policy, state, where its reservation sits, and its journal's fold point
  CREATE TABLE cdp (
    volume_id INTEGER PRIMARY KEY REFERENCES volume,
    priority TEXT NOT NULL, reserve_capacity INTEGER NOT NULL,
    reserve_duration INTEGER NOT NULL,    -- uint64 seconds stored as its int64 bit pattern
    state TEXT NOT NULL, create_time INTEGER NOT NULL,
    disk_id INTEGER NOT NULL REFERENCES cdp_disk,
    next_seq INTEGER NOT NULL DEFAULT 0,
    base_time INTEGER NOT NULL DEFAULT 0, -- base_block is the image at this time
    next_snapshot INTEGER                 -- when the next auto snapshot is due (on only)
  ) STRICT;
  CREATE INDEX cdp_on ON cdp (state);

  -- how many volumes have CDP, per namespace and tenant: list's totals without a scan
  CREATE TABLE cdp_count (
    namespace_id INTEGER NOT NULL, tenant_id INTEGER NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (namespace_id, tenant_id)
  ) STRICT, WITHOUT ROWID;
  CREATE TRIGGER cdp_counted AFTER INSERT ON cdp BEGIN
    INSERT INTO cdp_count (namespace_id, tenant_id, n)
      SELECT namespace_id, tenant_id, 1 FROM volume WHERE id = new.volume_id
      ON CONFLICT DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER cdp_uncounted AFTER DELETE ON cdp BEGIN
    UPDATE cdp_count SET n = n - 1 WHERE (namespace_id, tenant_id) =
      (SELECT namespace_id, tenant_id FROM volume WHERE id = old.volume_id);
  END;

  CREATE TABLE segment (
    volume_id INTEGER NOT NULL REFERENCES cdp, seq INTEGER NOT NULL,
    disk_id INTEGER NOT NULL REFERENCES cdp_disk,
    capacity INTEGER NOT NULL, use INTEGER NOT NULL DEFAULT 0,
    start_time INTEGER NOT NULL, io_start_time INTEGER, io_last_time INTEGER,
    end_time INTEGER,                     -- NULL while it is the active segment
    PRIMARY KEY (volume_id, seq)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE snapshot (
    volume_id INTEGER NOT NULL REFERENCES cdp, name TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL,
    PRIMARY KEY (volume_id, name)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX snapshot_by_time ON snapshot (volume_id, time);

  -- one row per journaled block write; rowid breaks ties between writes at the same ns
  CREATE TABLE journal (
    id INTEGER PRIMARY KEY, volume_id INTEGER NOT NULL, seq INTEGER NOT NULL,
    time INTEGER NOT NULL, block INTEGER NOT NULL, token INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX journal_by_time ON journal (volume_id, time);
  CREATE INDEX journal_by_block ON journal (volume_id, block, time);

  CREATE TABLE base_block (
    volume_id INTEGER NOT NULL REFERENCES cdp, block INTEGER NOT NULL, token INTEGER NOT NULL,
    PRIMARY KEY (volume_id, block)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE view (
    volume_id INTEGER PRIMARY KEY REFERENCES cdp, seq INTEGER NOT NULL, snapshot_name TEXT NOT NULL,
    time INTEGER NOT NULL, host_id INTEGER NOT NULL REFERENCES host
  ) STRICT;
  CREATE TABLE view_block (
    volume_id INTEGER NOT NULL REFERENCES view, block INTEGER NOT NULL, token INTEGER NOT NULL,
    PRIMARY KEY (volume_id, block)
  ) STRICT, WITHOUT ROWID;
  `,
  `
  -- a tenant's cdp_quota in a cluster, set aside on one CDP disk (counted in its reserved):
  -- the tenant's reservations there come out of it, and nobody else's can
  CREATE TABLE tenant_share (
    tenant_id INTEGER NOT NULL REFERENCES tenant, cluster_id INTEGER NOT NULL REFERENCES cluster,
    disk_id INTEGER NOT NULL REFERENCES cdp_disk, size INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, cluster_id)
  ) STRICT, WITHOUT ROWID;
  `,
  `
  -- list's filter_name compares folded text (src/search-fold.ts): names are searched by
  -- their fold, kept beside them, since SQLite's lower() and FTS5 fold far less of Unicode
  ALTER TABLE volume ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
  UPDATE volume SET search_name = fold_for_search(name);
  DROP TABLE volume_search;
  CREATE VIRTUAL TABLE volume_search USING fts5(search_name, uuid, content='volume', content_rowid='id', tokenize='trigram');
  INSERT INTO volume_search (volume_search) VALUES ('rebuild');
  `,
  // the ns of each CDP's newest acknowledged change (timeline.ts keeps changes apart)
  `
  ALTER TABLE cdp ADD COLUMN last_change INTEGER NOT NULL DEFAULT 0;
  UPDATE cdp SET last_change = coalesce((SELECT max(max(s.start_time, coalesce(s.end_time, 0), coalesce(s.io_last_time, 0)))
    FROM segment s WHERE s.volume_id = cdp.volume_id), 0);
  `,
  `
  -- real bytes: each distinct non-zero 4 KiB block once; tokens are content ids (0: zeros)
  CREATE TABLE content (id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE, data BLOB NOT NULL) STRICT;
  `,
  `
  -- what happened to a volume's CDP, oldest first (simulator/events.ts keeps a bound per
  -- volume); kept past a clean, so it names the volume, not its CDP
  CREATE TABLE event (
    id INTEGER PRIMARY KEY, volume_id INTEGER NOT NULL REFERENCES volume, time INTEGER NOT NULL,
    kind TEXT NOT NULL, seq INTEGER, from_time INTEGER, to_time INTEGER, bytes INTEGER, detail TEXT
  ) STRICT;
  CREATE INDEX event_by_volume ON event (volume_id, id);
  -- when the journal last went on (NULL while off): window's on_seconds, which folds cannot move
  ALTER TABLE cdp ADD COLUMN on_since INTEGER;
  UPDATE cdp SET on_since = (SELECT min(s.start_time) FROM segment s WHERE s.volume_id = cdp.volume_id) WHERE state = 'on';
  `,
  `
  -- every segment opens with a snapshot, even in the second of an earlier segment's: a name
  -- is unique per segment, and a point is found by its name and its time
  CREATE TABLE snapshot_by_segment (
    volume_id INTEGER NOT NULL REFERENCES cdp, seq INTEGER NOT NULL, name TEXT NOT NULL, time INTEGER NOT NULL,
    PRIMARY KEY (volume_id, seq, name)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO snapshot_by_segment (volume_id, seq, name, time) SELECT volume_id, seq, name, time FROM snapshot;
  DROP TABLE snapshot;
  ALTER TABLE snapshot_by_segment RENAME TO snapshot;
  CREATE INDEX snapshot_by_time ON snapshot (volume_id, time);
  CREATE INDEX snapshot_by_name ON snapshot (volume_id, name, time);
  `,
  `
  -- disk faults (simulator/disk-faults.ts): while a span lasts (to_time NULL) the disk's
  -- journal records nothing; from_time..to_time (inclusive) is a gap of its segments
  CREATE TABLE disk_fault (
    id INTEGER PRIMARY KEY, disk_id INTEGER NOT NULL REFERENCES cdp_disk,
    state TEXT NOT NULL CHECK (state IN ('failed', 'full')), from_time INTEGER NOT NULL, to_time INTEGER
  ) STRICT;
  CREATE INDEX disk_fault_by_disk ON disk_fault (disk_id, from_time);
  `,
  `
  -- a view reads through the journal at its time (retention holds what it needs): no copy
  DROP TABLE view_block;
  `,
  `
  -- blocks whose live content the journal may not hold (written while CDP was off, or whose
  -- journal end a clean moved back): enable journals what changed from these alone
  CREATE TABLE unjournaled_block (
    volume_id INTEGER NOT NULL REFERENCES cdp, block INTEGER NOT NULL,
    PRIMARY KEY (volume_id, block)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO unjournaled_block (volume_id, block)
    SELECT l.volume_id, l.block FROM live_block l JOIN cdp c ON c.volume_id = l.volume_id WHERE c.state = 'off';
  `,
  `
  -- which volumes' list entries changed, newest last: every process's name index
  -- (simulator/list-index.ts) applies what it has not seen, whoever wrote it. The newest 4096
  -- are kept (a process further behind rebuilds its index); AUTOINCREMENT never reuses an
  -- id, so a position stays meaningful. Not a state table (state.ts skips volume_search*).
  CREATE TABLE volume_search_log (id INTEGER PRIMARY KEY AUTOINCREMENT, volume_id INTEGER NOT NULL) STRICT;
  CREATE TRIGGER volume_search_listed AFTER INSERT ON cdp BEGIN
    INSERT INTO volume_search_log (volume_id) VALUES (new.volume_id);
  END;
  CREATE TRIGGER volume_search_unlisted AFTER DELETE ON cdp BEGIN
    INSERT INTO volume_search_log (volume_id) VALUES (old.volume_id);
  END;
  CREATE TRIGGER volume_search_renamed AFTER UPDATE OF uuid, name, search_name, cluster_id, namespace_id, tenant_id ON volume BEGIN
    INSERT INTO volume_search_log (volume_id) VALUES (new.id);
  END;
  CREATE TRIGGER volume_search_log_kept AFTER INSERT ON volume_search_log BEGIN
    DELETE FROM volume_search_log WHERE id <= new.id - 4096;
  END;
  `,
  `
  -- when the block's live content went into the journal (NULL: the journal may not hold it):
  -- at any time from then on the image holds the live content, with no journal lookup
  ALTER TABLE live_block ADD COLUMN journaled_at INTEGER;
  `,
  `
  -- a block's newest journal row at or before a time, and its token, from the index alone (in
  -- its order: time, then id), with no lookup in the table: a view of blocks all rewritten
  -- since its point makes one such lookup per block
  DROP INDEX journal_by_block;
  CREATE INDEX journal_by_block ON journal (volume_id, block, time, id, token);
  `
]

export const SCHEMA_VERSION = MIGRATIONS.length

/** A database that cannot be opened (missing directory, not a database, read-only) names its path. */
export function openDatabase (path: string): Database.Database {
  try {
    return openAndMigrate(path)
  } catch (err) {
    throw new Error(`cannot open the simulator database ${path}: ${(err as Error).message}`)
  }
}

function openAndMigrate (path: string): Database.Database {
  const db = new Database(path)
  // First: another process may hold the file (even switching it to WAL needs a lock).
  db.pragma('busy_timeout = 5000')
  // Pages that hold a 4 KiB block's row whole (smaller ones chain overflow pages per block);
  // takes effect only when the file is new.
  db.pragma('page_size = 16384')
  db.pragma('journal_mode = WAL')
  // NORMAL: a commit survives the process being killed; only power loss could undo the last ones.
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  // For the migration that folds existing names; new volumes are folded as they are inserted.
  db.function('fold_for_search', { deterministic: true }, (name) => foldForSearch(String(name)))
  migrate(db)
  return db
}

function migrate (db: Database.Database): void {
  // The version is read inside the write transaction: of processes opening one new file
  // at once, the first migrates and the others find it done.
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number
    if (current > SCHEMA_VERSION) {
      throw new Error(`database schema ${current} is newer than this simulator's ${SCHEMA_VERSION}`)
    }
    for (let version = current; version < SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version] as string)
      db.pragma(`user_version = ${version + 1}`)
    }
  }).immediate()
}
