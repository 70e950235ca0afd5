// The conformance suite against SimulatorBackend in-process.
import t from 'tap'
import { loadTopology, openSimulator } from '../../../../simulator/index.js'
import { DEMO_TOPOLOGY } from '../../../helpers/app.js'
import { inProcessControl } from './control.js'
import { conformance } from './suite.js'

conformance(t, async (t, topology = DEMO_TOPOLOGY) => {
  const sim = openSimulator({ db: ':memory:', topology: loadTopology(topology), clock: { mode: 'manual' }, snapshotIntervalSeconds: 60 })
  t.teardown(() => sim.close())
  return { backend: sim, control: inProcessControl(sim) }
})
