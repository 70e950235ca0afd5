// What a simulator adds to the API app: its control API (with the block routes) and its
// gauges. index.ts and harness.ts both build on it, so neither imports the other.
import type { AppOptions } from '../src/app.js'
import { controlApiMount } from './control-api.js'
import type { NbdNames, SimulatorControl } from './control.js'
import { registerJournalGauges } from './gauges.js'

/** server.ts and tests pass these to buildApp. */
export function simulatorAppOptions (simulator: SimulatorControl, nbd?: NbdNames): Required<Pick<AppOptions, 'controlApi' | 'registerGauges'>> {
  return {
    controlApi: controlApiMount(simulator, nbd),
    registerGauges: (registry) => { registerJournalGauges(registry, () => simulator.journalStats()) }
  }
}
