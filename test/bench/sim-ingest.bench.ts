// Journaled 4 KiB writes per second through the simulator, against raw better-sqlite3
// doing the same row work per block (a journal row in the same indexed table, an upsert of
// the live block) in transactions of the same size, same process. The difference is the
// simulator's own work per call: lookups, segment accounting, snapshots and retention.
import Database from 'better-sqlite3'
import { benchSimulator, seconds } from './sim-setup.js'

const CALLS = 20_000
const BLOCKS_PER_CALL = [1, 16, 256]

export async function run (): Promise<Record<string, number>> {
  const result: Record<string, number> = {}
  for (const blocks of BLOCKS_PER_CALL) {
    const { sim, volumes } = await benchSimulator(1)
    const volume = volumes[0]!
    const writes = Array.from({ length: blocks }, (_, i) => ({ offset: 0, length: 4096, fill: 1 + (i % 255) }))
    let t = process.hrtime.bigint()
    for (let call = 0; call < CALLS; call++) {
      for (let i = 0; i < blocks; i++) writes[i]!.offset = ((call * blocks + i) % 262144) * 4096
      sim.write(volume, writes)
      if (call % 100 === 0) sim.advance(1_000_000n)
    }
    const subject = (CALLS * blocks) / seconds(t)
    await sim.close()

    const raw = new Database(':memory:')
    raw.pragma('journal_mode = WAL')
    raw.pragma('synchronous = NORMAL')
    raw.exec(`CREATE TABLE journal (id INTEGER PRIMARY KEY, volume_id INTEGER NOT NULL, seq INTEGER NOT NULL,
        time INTEGER NOT NULL, block INTEGER NOT NULL, token INTEGER NOT NULL) STRICT;
      CREATE INDEX journal_by_time ON journal (volume_id, time);
      CREATE INDEX journal_by_block ON journal (volume_id, block, time);
      CREATE TABLE live_block (volume_id INTEGER NOT NULL, block INTEGER NOT NULL, token INTEGER NOT NULL,
        PRIMARY KEY (volume_id, block)) STRICT, WITHOUT ROWID;`)
    const insert = raw.prepare('INSERT INTO journal (volume_id, seq, time, block, token) VALUES (?, ?, ?, ?, ?)')
    const upsert = raw.prepare('INSERT INTO live_block (volume_id, block, token) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET token = excluded.token')
    const insertCall = raw.transaction((call: number) => {
      for (let i = 0; i < blocks; i++) {
        const block = (call * blocks + i) % 262144
        upsert.run(1, block, 1 + (i % 255))
        insert.run(1, 0, BigInt(call), block, 1 + (i % 255))
      }
    })
    t = process.hrtime.bigint()
    for (let call = 0; call < CALLS; call++) insertCall.immediate(call)
    const baseline = (CALLS * blocks) / seconds(t)
    raw.close()

    result[`writes_per_s_${blocks}_per_call`] = Math.round(subject)
    result[`baseline_rows_per_s_${blocks}_per_call`] = Math.round(baseline)
    result[`ratio_${blocks}_per_call`] = Number((subject / baseline).toFixed(3))
  }
  return result
}
