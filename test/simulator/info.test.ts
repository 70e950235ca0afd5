// Info and the journal figures: what a volume's segments report, and the recoverable window
// the metrics gauge shows.
import t from 'tap'
import { CDP_1, advanceSeconds, openDemo, ref } from '../helpers/simulator.js'

t.test('the recoverable window is the total length of the recoverable ranges: gaps and time since a disable do not count', async (t) => {
  const sim = openDemo(t)
  const windowOf = (): number | undefined => sim.journalStats().find((s) => s.volume_uuid === CDP_1)?.window_seconds
  await sim.enable([ref(CDP_1)])
  advanceSeconds(sim, 10)
  await sim.disable([ref(CDP_1)])
  advanceSeconds(sim, 100)
  t.equal(windowOf(), 10, 'the disabled time is not recoverable')
  await sim.enable([ref(CDP_1)])
  advanceSeconds(sim, 5)
  t.equal(windowOf(), 15, 'two ranges, the gap between left out')
  const ranges = sim.recoverable(CDP_1).ranges
  t.equal(ranges.length, 2)
})
