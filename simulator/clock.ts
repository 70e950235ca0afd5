// The simulator's sense of now, in ns. `real` follows the wall clock but never runs
// backwards (journal order is time order); `manual` moves only when told, and is kept in
// the database so a restart, or a second process on the same file, sees the same time.
import type { Database } from 'better-sqlite3'
import { CdpError } from '../src/errors.js'
import type { Ns } from '../src/backend/port.js'
import type { ClockMode } from './control.js'

/** Times are stored as SQLite int64: the clock cannot run past its largest value. */
export const MAX_TIME = (1n << 63n) - 1n

export interface Clock {
  readonly mode: ClockMode
  now: () => Ns
  /** Moves a manual clock forward by `by` ns and returns the new now. */
  advance: (by: Ns) => Ns
  /** Now, if it is after `time`; else the clock first steps to `time` + 1 ns (the least that keeps two changes apart). */
  after: (time: Ns) => Ns
}

/**
 * Where a real clock's reading starts: the wall clock at one instant and the monotonic clock
 * (shared by every thread of the process) at the same instant. Two clocks from one origin
 * read the same ns, so a worker thread's clock and its client's agree.
 */
export interface ClockOrigin { wallNs: Ns, hrNs: Ns }

export const clockOriginNow = (): ClockOrigin => ({ wallNs: BigInt(Date.now()) * 1_000_000n, hrNs: process.hrtime.bigint() })

/** A real clock's reading without the floor `after` raises (a floor rises only at a change). */
export const realNow = (origin: ClockOrigin): Ns => origin.wallNs + (process.hrtime.bigint() - origin.hrNs)

export function realClock (origin: ClockOrigin = clockOriginNow()): Clock {
  // Raised by `after` when two changes land in one ns: the clock then reads no earlier.
  let floor = 0n
  const now = (): Ns => {
    const wall = realNow(origin)
    return wall > floor ? wall : floor
  }
  return {
    mode: 'real',
    now,
    after: (time) => {
      if (now() <= time) floor = time + 1n
      return now()
    },
    advance: () => { throw new CdpError('CLOCK_NOT_MANUAL', 'only a manual clock can be advanced') }
  }
}

export function manualClock (db: Database, start: Ns): Clock {
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('manual_clock', ?)").run(start)
  const read = db.prepare("SELECT value FROM meta WHERE key = 'manual_clock'").pluck().safeIntegers(true)
  const write = db.prepare("UPDATE meta SET value = ? WHERE key = 'manual_clock'")
  const now = (): Ns => read.get() as bigint
  const moveTo = (next: Ns): Ns => {
    if (next > MAX_TIME) throw new CdpError('INVALID_PARAMETER', `the clock cannot pass ${MAX_TIME} ns`)
    write.run(next)
    return next
  }
  return {
    mode: 'manual',
    now,
    advance: (by) => moveTo(now() + by),
    after: (time) => {
      const current = now()
      return current > time ? current : moveTo(time + 1n)
    }
  }
}
