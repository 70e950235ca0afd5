// The simulator's state as a whole (simulator/state.ts), called on the simulator directly:
// a reset empties every state table and seeds the topology again (the list search too), a
// save leaves no scratch file behind, a load takes the file's state (its clock, or the
// simulator's start when the file has none) and may be repeated, and each kind of bad file
// is refused by name with nothing changed and nothing created.
import { existsSync, writeFileSync } from 'node:fs'
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
