// The simulator's public face: open one over a database file (or memory) and a topology.
import type { AppOptions } from '../src/app.js'
import { controlApiMount } from './control-api.js'
import type { NbdNames } from './control.js'
import { registerJournalGauges } from './gauges.js'
import { Simulator } from './simulator.js'
import type { SimulatorOptions } from './options.js'

export { Simulator } from './simulator.js'
export type { SimulatorOptions } from './options.js'
export { DEFAULTS } from './options.js'
export { loadTopology, parseTopology, restrictTopology, type Topology } from './topology.js'
export type { BlockWrite, HarnessControl, SimulatorControl } from './control.js'
export { buildSimulatorApp, harnessAppOptions, openHarness, type Harness } from './harness.js'

export function openSimulator (options: SimulatorOptions): Simulator {
  return new Simulator(options)
}

/** What a simulator adds to the API app: its control API and its gauges (server.ts and tests pass these to buildApp). */
export function simulatorAppOptions (simulator: Simulator, nbd?: NbdNames): Required<Pick<AppOptions, 'controlApi' | 'registerGauges'>> {
  return {
    controlApi: controlApiMount(simulator, nbd),
    registerGauges: (registry) => { registerJournalGauges(registry, () => simulator.journalStats()) }
  }
}
