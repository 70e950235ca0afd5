// Journaled writes of real bytes per second through the simulator (4 KiB blocks of random
// data, all distinct), against raw better-sqlite3 storing the same blobs in transactions of
// the same size, same process: per block its sha256, a content-addressed row (looked up by
// hash, inserted when new), a journal row and the live block's upsert. At 1 and at 256
// blocks per call (one contiguous write each). The difference is the simulator's own work
// per call: lookups, checks, segment accounting, snapshots and retention.
import { createHash, randomBytes } from 'node:crypto'
import Database from 'better-sqlite3'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { benchSimulator, seconds } from './sim-setup.js'

/** Bytes written at each size: 32,768 blocks. */
const BYTES = 128 * 1024 * 1024
const BLOCKS_PER_CALL = [1, 256]

export async function run (): Promise<Record<string, number>> {
  const data = randomBytes(BYTES)
  const result: Record<string, number> = {}
  for (const blocks of BLOCKS_PER_CALL) {
    const calls = BYTES / BLOCK_SIZE / blocks
    const bytesOf = (call: number): Buffer => data.subarray(call * blocks * BLOCK_SIZE, (call + 1) * blocks * BLOCK_SIZE)

    const { sim, volumes } = await benchSimulator(1)
    const volume = volumes[0]!
    let t = process.hrtime.bigint()
    for (let call = 0; call < calls; call++) {
      sim.write(volume, [{ offset: call * blocks * BLOCK_SIZE, data: bytesOf(call) }])
      if (call % 100 === 0) sim.advance(1_000_000n)
    }
    const subject = BYTES / BLOCK_SIZE / seconds(t)
    await sim.close()

    const raw = new Database(':memory:')
    raw.defaultSafeIntegers(true)
    raw.pragma('page_size = 16384')
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = NORMAL')
    raw.exec(`CREATE TABLE content (id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE, data BLOB NOT NULL) STRICT;
      CREATE TABLE journal (id INTEGER PRIMARY KEY, volume_id INTEGER NOT NULL, seq INTEGER NOT NULL,
        time INTEGER NOT NULL, block INTEGER NOT NULL, token INTEGER NOT NULL) STRICT;
      CREATE INDEX journal_by_time ON journal (volume_id, time);
      CREATE INDEX journal_by_block ON journal (volume_id, block, time, id, token);
      CREATE TABLE live_block (volume_id INTEGER NOT NULL, block INTEGER NOT NULL, token INTEGER NOT NULL,
        PRIMARY KEY (volume_id, block)) STRICT, WITHOUT ROWID;`)
    const find = raw.prepare('SELECT id FROM content WHERE sha256 = ?').pluck()
    const store = raw.prepare('INSERT INTO content (sha256, data) VALUES (?, ?)')
    const journal = raw.prepare('INSERT INTO journal (volume_id, seq, time, block, token) VALUES (?, ?, ?, ?, ?)')
    const live = raw.prepare('INSERT INTO live_block (volume_id, block, token) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET token = excluded.token')
    const writeCall = raw.transaction((call: number) => {
      const bytes = bytesOf(call)
      for (let i = 0; i < blocks; i++) {
        const block = bytes.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE)
        const hash = createHash('sha256').update(block).digest()
        const token = (find.get(hash) as bigint | undefined) ?? (store.run(hash, block).lastInsertRowid as bigint)
        const number = call * blocks + i
        live.run(1, number, token)
        journal.run(1, 0, BigInt(call), number, token)
      }
    })
    t = process.hrtime.bigint()
    for (let call = 0; call < calls; call++) writeCall.immediate(call)
    const baseline = BYTES / BLOCK_SIZE / seconds(t)
    raw.close()

    result[`blocks_per_s_${blocks}_per_call`] = Math.round(subject)
    result[`baseline_blocks_per_s_${blocks}_per_call`] = Math.round(baseline)
    result[`ratio_${blocks}_per_call`] = Number((subject / baseline).toFixed(3))
  }
  return result
}
