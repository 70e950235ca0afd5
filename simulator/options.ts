// How a simulator is opened: where its database lives, what cluster it models, its clock
// and the cadence of its journal.
import { NS_PER_SECOND, type Ns } from '../src/backend/port.js'
import type { ClockOrigin } from './clock.js'
import type { ClockMode } from './control.js'
import type { Topology, TopologyFile } from './topology.js'

export interface SimulatorOptions {
  /** A file path, or ':memory:'. A file keeps its state across restarts. */
  db: string
  /** Loaded into an empty database; an existing database keeps its own topology. A file is read by the simulator (npm start: in its worker thread). */
  topology: Topology | TopologyFile
  /**
   * Serve only these namespaces' volumes through CdpBackend (an agent's slice of a cluster
   * whose agents share one database); absent: all. The control API still sees every volume.
   */
  namespaces?: readonly string[]
  clock: {
    mode: ClockMode
    /** Where a manual clock starts. */
    start?: Ns
    /** Where a real clock's reading starts (default: when the simulator opens); a worker's client passes its own. */
    origin?: ClockOrigin
  }
  /** Seconds between auto snapshots while CDP is on. */
  snapshotIntervalSeconds?: number
  /** Bytes a journal segment holds before a new one opens (never above reserve_capacity). */
  segmentCapacity?: bigint
}

/** How often auto snapshots come and how much a segment holds: what the journal rules need from the options. */
export interface Cadence {
  snapshotInterval: Ns
  segmentCapacity: bigint
}

export const DEFAULTS = {
  snapshotIntervalSeconds: 600,
  segmentCapacity: 10n * 1024n ** 3n,
  /** 2021-08-27T08:35:21Z, the spec's example cdp_create_time: replays of the spec line up. */
  manualClockStart: 1630053321n * NS_PER_SECOND,
  /** The policy `enable` gives a volume that had no CDP. */
  policy: { cdp_priority: 'mid', reserve_capacity: 10n * 1024n ** 3n, reserve_duration: 86400n }
} as const
