// Every operation first brings its volume up to the clock's now: the auto snapshots that fell
// due, then retention. So a real clock needs no timers.
import type { Ns } from '../src/backend/port.js'
import { takeDueSnapshots } from './auto-snapshots.js'
import type { CdpRow } from './cdp.js'
import { applyRetention, durationCut } from './retention.js'
import type { Sql } from './sql.js'

export function catchUp (sql: Sql, cdp: CdpRow, now: Ns, snapshotInterval: Ns): void {
  const oldest = takeDueSnapshots(sql, cdp, now, snapshotInterval, durationCut(cdp, now))
  applyRetention(sql, cdp, oldest, now)
}
