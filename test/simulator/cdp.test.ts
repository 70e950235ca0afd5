// A volume's CDP row: what a call on a volume without one is told.
import t from 'tap'
import { failure, openDemo, ref, refusalDesc } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'

t.test('a call on a volume that has no CDP is CDP_NOT_FOUND, saying so', async (t) => {
  const sim = openDemo(t)
  t.equal(await failure(() => sim.info(ref(DEMO.vol1))), 'CDP_NOT_FOUND')
  t.equal(await refusalDesc(() => sim.info(ref(DEMO.vol1))), 'the volume has no CDP configured')
  t.equal(await refusalDesc(() => sim.window(ref(DEMO.vol1))), 'the volume has no CDP configured')
})
