// The simulator's public face: open one over a database file (or memory) and a topology.
import { Simulator } from './simulator.js'
import type { SimulatorOptions } from './options.js'

export { Simulator } from './simulator.js'
export type { SimulatorOptions } from './options.js'
export { DEFAULTS } from './options.js'
export { loadTopology, parseTopology, servedNamespaces, type Topology } from './topology.js'
export type { BlockWrite, HarnessControl, SimulatorControl } from './control.js'
export { simulatorAppOptions } from './app-options.js'
export { buildSimulatorApp, harnessAppOptions, openHarness, type Harness } from './harness.js'
export { openWorkerHarness, openWorkerSimulator, type WorkerSimulator } from './worker-client.js'

export function openSimulator (options: SimulatorOptions): Simulator {
  return new Simulator(options)
}
