// Opens the simulator on the database file named by argv[2] and closes it: run by
// test/simulator/shared-file.test.ts as several processes at once.
import { loadTopology, openSimulator } from '../../simulator/index.js'

const sim = openSimulator({ db: process.argv[2] ?? '', topology: loadTopology('fixtures/demo-topology.json'), clock: { mode: 'manual' } })
await sim.close()
