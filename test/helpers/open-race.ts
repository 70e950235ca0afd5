// Opens the simulator on the database file named by argv[2] and closes it: run by
// test/simulator/shared-file.test.ts as several processes at once.
import { openSimulator } from '../../simulator/index.js'
import { demoTopology } from './demo.js'

const sim = openSimulator({ db: process.argv[2] ?? '', topology: demoTopology, clock: { mode: 'manual' } })
await sim.close()
