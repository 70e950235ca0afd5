// The simulator's clocks on their own: a real clock reads the wall clock in ns and never runs
// backwards, `after` steps it past a time it has not reached yet; a manual clock moves only
// when told, never past the last ns SQLite can store. Expected times come from Date.now() and
// plain arithmetic here, not from the clock's own helpers.
import t from 'tap'
import Database from 'better-sqlite3'
import { clockOriginNow, MAX_TIME, manualClock, realClock, realNow } from '../../simulator/clock.js'
import { failure, refusalDesc } from '../helpers/simulator.js'

const MS = 1_000_000n
const SECOND = 1_000_000_000n
const wallNs = (): bigint => BigInt(Date.now()) * MS

t.test('a real clock reads the wall clock in ns, and its origin too', async (t) => {
  const before = wallNs()
  const origin = clockOriginNow()
  const clock = realClock(origin)
  const read = clock.now()
  const after = wallNs()
  t.equal(clock.mode, 'real')
  // Date.now() has ms steps: the reading lies within a ms of the two wall readings around it.
  t.ok(origin.wallNs >= before && origin.wallNs <= after, 'the origin is the wall clock then, in ns')
  t.ok(read >= before && read <= after + MS, `the reading ${read} lies between ${before} and ${after}`)
  const later = realNow(origin)
  t.ok(later >= read && later - read < SECOND, 'realNow from the same origin goes on from the reading, by the time passed')
})

t.test('a real clock never runs backwards: after(t) for a t it has not reached reads t + 1 at once, and a later t steps it again', async (t) => {
  const clock = realClock()
  const ahead = clock.now() + 60n * SECOND
  t.equal(clock.after(ahead), ahead + 1n, 'stepped to the least ns after it')
  t.ok(clock.now() >= ahead + 1n, 'and reads no earlier afterwards')
  t.equal(clock.after(ahead + 1n), ahead + 2n, 'a time equal to its reading steps it once more')
  const past = clock.now() - SECOND
  const read = clock.after(past)
  t.ok(read > past && read <= clock.now(), 'a time already passed leaves it where it is')
  t.ok(clock.now() >= ahead + 2n, 'and does not bring it back below the step before')
})

t.test('a real clock cannot be advanced by hand', async (t) => {
  const clock = realClock()
  t.equal(await failure(() => clock.advance(SECOND)), 'CLOCK_NOT_MANUAL')
  t.match(await refusalDesc(() => clock.advance(SECOND)), /manual/)
})

t.test('a manual clock moves only when told, steps past a time with after, and never past the last storable ns', async (t) => {
  const db = new Database(':memory:')
  t.teardown(() => db.close())
  db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) STRICT')
  const clock = manualClock(db, 1000n)
  t.equal(clock.mode, 'manual')
  t.equal(clock.now(), 1000n)
  t.equal(clock.advance(5n), 1005n)
  t.equal(clock.after(1005n), 1006n, 'after its own reading: one ns on')
  t.equal(clock.after(10n), 1006n, 'after a time passed: where it is')
  t.equal(manualClock(db, 0n).now(), 1006n, 'kept in the database: a second clock on it reads the same')
  clock.advance(MAX_TIME - 1006n)
  t.equal(clock.now(), MAX_TIME, 'the last ns is reachable')
  t.equal(await failure(() => clock.advance(1n)), 'INVALID_PARAMETER')
  t.match(await refusalDesc(() => clock.advance(1n)), String(MAX_TIME), 'the refusal names the last ns')
  t.equal(await failure(() => clock.after(MAX_TIME)), 'INVALID_PARAMETER')
  t.equal(clock.now(), MAX_TIME, 'a refused move leaves it there')
})
