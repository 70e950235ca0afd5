// One ns per change: on a volume's timeline every acknowledged change (write, revert, enable,
// disable, view on/off) has a time of its own, so every point a call produced stays
// recoverable (while retention keeps it) and every revert can be undone by reverting to the
// ns before it. A change that would land on the ns of the volume's last change moves the
// clock 1 ns past it first: a manual clock moves when told, and by the least needed here.
// The step is the change's own: a point the change names (view, revert) is judged against
// the now the call found, so a time after that now is refused, stepped or not.
import type { Ns } from '../src/backend/port.js'
import type { Clock } from './clock.js'
import type { Sql } from './sql.js'

/** When a change to the volume happens: now, or 1 ns after its last change if that is not before now. */
export function changeTime (sql: Sql, clock: Clock, volumeId: bigint): Ns {
  return changeTimeAfter(clock, sql.get<{ last_change: bigint }>('SELECT last_change FROM cdp WHERE volume_id = ?', volumeId)?.last_change)
}

/** The same for a caller that has read the volume's last change (undefined: the volume has no CDP). */
export function changeTimeAfter (clock: Clock, lastChange: Ns | undefined): Ns {
  return lastChange === undefined ? clock.now() : clock.after(lastChange)
}

export function recordChange (sql: Sql, volumeId: bigint, time: Ns): void {
  sql.run('UPDATE cdp SET last_change = ? WHERE volume_id = ?', time, volumeId)
}
