// Changed blocks between two points, called on the simulator directly (the route's tests,
// test/src/routes/changes.test.ts, cover paging and the byte diff over HTTP).
import t from 'tap'
import { openCdp1, ref, refusalDesc, writeBlock } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'

t.test('from after to is CHANGES_FROM_AFTER_TO naming both times', async (t) => {
  const sim = await openCdp1(t)
  const from = writeBlock(sim, DEMO.cdp1, 0, 1)
  const to = from - 1n
  t.equal(await refusalDesc(() => sim.changes(ref(DEMO.cdp1), { from, to, start: 0n, limit: 10 })), `from ${from} is after to ${to}`)
})
