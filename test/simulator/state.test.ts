// The simulator's state as a whole (simulator/state.ts), called on the simulator directly:
// a reset empties every state table and seeds the topology again (the list search too), a
// save leaves no scratch file behind, a load takes the file's state (its clock, or the
// simulator's start when the file has none) and may be repeated, and each kind of bad file
// is refused by name with nothing changed and nothing created.
import { copyFileSync, existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { NS_PER_SECOND } from '../../src/backend/port.js'
import { type Simulator, openSimulator } from '../../simulator/index.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { DEMO, demoTopology } from '../helpers/demo.js'
import { advanceSeconds, failure, openDemo, ref, refusalDesc, writeBlock } from '../helpers/simulator.js'

const START = 1630053321n * NS_PER_SECOND

/** The names a list search for `name` finds among CDP volumes (all turned on first), sorted: each once if the search index is right. */
async function found (sim: Simulator, name: string): Promise<string[]> {
  await sim.enable(demoTopology.volumes.map((v) => ref(v.uuid)))
  const page = await sim.list({ cluster_uuid: DEMO.cluster, filter_name: name, page_num: 0, page_size: 0 })
  return page.List.map((item) => item.volume_name).sort()
}

const demoNamed = (part: string): string[] => demoTopology.volumes.filter((v) => v.name.includes(part)).map((v) => v.name).sort()

/** Saves `sim`'s state to a file of `dir` and gives its path. */
async function saveTo (sim: Simulator, dir: string, name: string): Promise<string> {
  const bytes = await sim.saveState(join(dir, `${name}.scratch`))
  const file = join(dir, `${name}.db`)
  writeFileSync(file, bytes)
  return file
}

/** A state file of `sim`, changed by `edit` on a plain connection (foreign keys not enforced). */
async function editedCopy (t: Test, sim: Simulator, dir: string, name: string, edit: (db: Database.Database) => void): Promise<string> {
  const file = await saveTo(sim, dir, name)
  const db = new Database(file)
  try { edit(db) } finally { db.close() }
  t.ok(existsSync(file))
  return file
}

t.test('a reset empties history and keeps each volume once in the list search, the manual clock at its start', async (t) => {
  const sim = openDemo(t, { clock: { mode: 'manual', start: 5n * NS_PER_SECOND } })
  const fresh = sim.image(DEMO.cdp1).digest
  await sim.enable([ref(DEMO.cdp1)])
  writeBlock(sim, DEMO.cdp1, 0, 7)
  advanceSeconds(sim, 30)
  sim.setHostOnline(DEMO.host2, false)
  sim.reset()
  t.equal(sim.clock().now, 5n * NS_PER_SECOND, 'the clock is back at the start it was given')
  t.equal(await failure(() => sim.info(ref(DEMO.cdp1))), 'CDP_NOT_FOUND', 'no CDP left')
  t.equal(sim.image(DEMO.cdp1).digest, fresh, 'the written block is gone')
  t.same(await found(sim, 'vol'), demoNamed('vol'), 'every volume found once by name')
  t.same(await found(sim, ''), demoTopology.volumes.map((v) => v.name).sort())
  sim.reset()
  t.equal(await failure(() => sim.info(ref(DEMO.vol1))), 'CDP_NOT_FOUND', 'no CDP left')
  t.same(await found(sim, 'vol'), demoNamed('vol'), 'a second reset too')
})

t.test('a reset of a simulator on a real clock works and leaves the clock running', async (t) => {
  const sim = openDemo(t, { clock: { mode: 'real' } })
  await sim.enable([ref(DEMO.cdp1)])
  const before = sim.clock().now
  sim.reset()
  t.ok(sim.clock().now >= before)
  t.equal(sim.clock().mode, 'real')
  t.same(await found(sim, 'cdp'), demoNamed('cdp'))
})

t.test('a save leaves no scratch file behind, not even a stale -wal or -shm beside it', async (t) => {
  const sim = openDemo(t)
  const dir = tempDir(t, 'cdp-save-')
  const scratch = join(dir, 'scratch.db')
  writeFileSync(`${scratch}-wal`, 'stale')
  writeFileSync(`${scratch}-shm`, 'stale')
  const bytes = await sim.saveState(scratch)
  t.equal(bytes.subarray(0, 16).toString('latin1'), 'SQLite format 3\u0000')
  t.notOk(existsSync(scratch), 'the scratch file is gone')
  t.notOk(existsSync(`${scratch}-wal`), 'its -wal is gone')
  t.notOk(existsSync(`${scratch}-shm`), 'its -shm is gone')
})

t.test('a load takes the file\'s clock; a file without a manual clock leaves the simulator at its own start', async (t) => {
  const dir = tempDir(t, 'cdp-load-')
  const manual = openDemo(t)
  await manual.enable([ref(DEMO.cdp1)])
  advanceSeconds(manual, 90)
  const withClock = await saveTo(manual, dir, 'manual')
  const real = openDemo(t, { clock: { mode: 'real' } })
  real.reset()
  const noClock = await saveTo(real, dir, 'real')

  const target = openDemo(t, { clock: { mode: 'manual', start: 7n * NS_PER_SECOND } })
  advanceSeconds(target, 1000)
  target.loadState(withClock)
  t.equal(target.clock().now, START + 90n * NS_PER_SECOND, 'the saved clock')
  t.equal(await failure(() => target.info(ref(DEMO.cdp1))), 'no error', 'the saved CDP')
  target.loadState(noClock)
  t.equal(target.clock().now, 7n * NS_PER_SECOND, 'no clock in the file: the simulator\'s own start')
  t.equal(await failure(() => target.info(ref(DEMO.cdp1))), 'CDP_NOT_FOUND', 'the second load replaced the first')
  t.same(await found(target, 'vol'), demoNamed('vol'), 'the list search rebuilt from the loaded volumes')

  const realTarget = openDemo(t, { clock: { mode: 'real' } })
  realTarget.loadState(noClock)
  realTarget.loadState(withClock)
  t.equal(await failure(() => realTarget.info(ref(DEMO.cdp1))), 'no error', 'a real-clock simulator loads, again and again')
})

t.test('a bad file is INVALID_STATE_FILE naming what is wrong; the state is untouched and no file is made', async (t) => {
  const dir = tempDir(t, 'cdp-bad-')
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  writeBlock(sim, DEMO.cdp1, 0, 3)
  const version = (await editedCopy(t, sim, dir, 'version', (db) => { db.pragma(`user_version = ${Number(db.pragma('user_version', { simple: true })) + 1}`) }))
  const keys = await editedCopy(t, sim, dir, 'keys', (db) => {
    db.pragma('foreign_keys = OFF')
    db.prepare('DELETE FROM namespace').run()
  })
  const empty = await editedCopy(t, sim, dir, 'empty', (db) => {
    db.pragma('foreign_keys = OFF')
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'volume_search%'").pluck().all() as string[]
    for (const table of tables) db.prepare(`DELETE FROM "${table}"`).run()
  })
  const junk = join(dir, 'junk')
  writeFileSync(junk, 'not a database at all, not even close to one')
  const missing = join(dir, 'missing.db')
  const cases: Array<[string, string, RegExp]> = [
    ['another schema version', version, /^schema version \d+, this simulator's is \d+$/],
    ['foreign keys broken', keys, /^foreign keys do not hold$/],
    ['no cluster', empty, /^it models no cluster$/],
    ['junk bytes', junk, /^not a SQLite database of the simulator: .+/],
    ['no such file', missing, /^not a SQLite database of the simulator: .+/]
  ]
  const before = sim.image(DEMO.cdp1).digest
  for (const [what, file, desc] of cases) {
    await t.rejects(async () => { sim.loadState(file) }, { code: 'INVALID_STATE_FILE' }, what)
    t.match(await refusalDesc(() => { sim.loadState(file) }), desc, `${what}: the desc says why`)
  }
  t.notOk(existsSync(missing), 'a missing file is not created')
  t.equal(sim.image(DEMO.cdp1).digest, before, 'the state is untouched')
  t.equal(await failure(() => sim.info(ref(DEMO.cdp1))), 'no error')
})

t.test('a damaged file is refused by its integrity check', async (t) => {
  const dir = tempDir(t, 'cdp-damaged-')
  const sim = openDemo(t)
  const bytes = await sim.saveState(join(dir, 'scratch'))
  const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16)
  const damaged = Buffer.from(bytes)
  damaged.fill(0x5a, pageSize, 2 * pageSize)
  const file = join(dir, 'damaged.db')
  writeFileSync(file, damaged)
  t.match(await refusalDesc(() => { sim.loadState(file) }), /^integrity check: \S[\s\S]*$/)
})

t.test('a simulator opened on a file saved by another loads it as the same state', async (t) => {
  const dir = tempDir(t, 'cdp-reopen-')
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  writeBlock(sim, DEMO.cdp1, 1, 4)
  const file = await saveTo(sim, dir, 'state')
  const other = openSimulator({ db: join(dir, 'other.db'), topology: demoTopology, clock: { mode: 'manual' } })
  t.teardown(() => other.close())
  other.loadState(file)
  t.equal(other.image(DEMO.cdp1).digest, sim.image(DEMO.cdp1).digest)
  t.same(other.clock(), sim.clock())
})

t.test('a load rebuilds the list search from the file: a volume is found by part of its uuid', async (t) => {
  const dir = tempDir(t, 'cdp-load-search-')
  const file = await saveTo(openDemo(t), dir, 'state')
  const target = openDemo(t)
  target.loadState(file)
  const part = DEMO.cdp1.toLowerCase().slice(9, 23)
  const named = demoTopology.volumes.filter((v) => v.uuid.toLowerCase().includes(part) || v.name.includes(part)).map((v) => v.name)
  t.same(named, ['cdp-1'], 'the part names one volume only')
  t.same(await found(target, part), named)
})

t.test('a save that cannot make its scratch file fails with the reason it could not', async (t) => {
  const sim = openDemo(t)
  const scratch = join(tempDir(t, 'cdp-save-missing-'), 'no such directory', 'scratch.db')
  await t.rejects(sim.saveState(scratch), { message: /directory does not exist/ })
  t.notOk(existsSync(scratch))
})

/** How many of this process's open descriptors name `file` (Linux's /proc). */
function openHandles (file: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try { return readlinkSync(join('/proc/self/fd', fd)) === file } catch { return false }
  }).length
}

t.test('a load keeps no handle on the file it read, whether it took the file or refused it', { skip: existsSync('/proc/self/fd') ? false : 'no /proc/self/fd here' }, async (t) => {
  const dir = realpathSync(tempDir(t, 'cdp-load-handles-'))
  const sim = openDemo(t)
  const good = await saveTo(sim, dir, 'good')
  const version = await editedCopy(t, sim, dir, 'version', (db) => { db.pragma(`user_version = ${Number(db.pragma('user_version', { simple: true })) + 1}`) })
  sim.loadState(good)
  t.equal(openHandles(good), 0, 'a file taken')
  t.match(await refusalDesc(() => { sim.loadState(version) }), /^schema version /)
  t.equal(openHandles(version), 0, 'a file refused')
})

t.test('a real-clock simulator loading a file without a clock gains none: a manual one loading its save starts at its own start', async (t) => {
  const dir = tempDir(t, 'cdp-load-real-')
  const real = openDemo(t, { clock: { mode: 'real' } })
  const noClock = await saveTo(real, dir, 'real')
  const realTarget = openDemo(t, { clock: { mode: 'real' } })
  realTarget.loadState(noClock)
  const again = await saveTo(realTarget, dir, 'again')
  const manual = openDemo(t, { clock: { mode: 'manual', start: 9n * NS_PER_SECOND } })
  advanceSeconds(manual, 60)
  manual.loadState(again)
  t.equal(manual.clock().now, 9n * NS_PER_SECOND)
})

t.test('a file its writer left mid-transaction (a hot journal beside it) is refused, and its journal is not rolled back', async (t) => {
  const dir = tempDir(t, 'cdp-load-hot-')
  const sim = openDemo(t)
  const saved = await saveTo(sim, dir, 'saved')
  const file = join(dir, 'hot.db')
  const writer = new Database(saved)
  try {
    writer.pragma('journal_mode = DELETE')
    writer.pragma('cache_size = 2')
    writer.exec('BEGIN; CREATE TABLE pad (x)')
    const pad = writer.prepare('INSERT INTO pad VALUES (randomblob(4000))')
    for (let i = 0; i < 100; i++) pad.run()
    // A copy of the file and its journal taken mid-transaction: as if the writer had died.
    copyFileSync(saved, file)
    copyFileSync(`${saved}-journal`, `${file}-journal`)
    writer.exec('ROLLBACK')
  } finally { writer.close() }
  const journal = readFileSync(`${file}-journal`)
  t.ok(journal.length > 0)
  t.match(await refusalDesc(() => { sim.loadState(file) }), /^not a SQLite database of the simulator: .+/)
  t.same(readFileSync(`${file}-journal`), journal, 'the journal is still there as it was')
})
