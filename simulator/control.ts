// What the simulator offers besides CdpBackend: the knobs that tests, local development and
// other teams' integration tests turn (served as /sim/v1/… by simulator/control-api.ts).
import type { Ns } from '../src/backend/port.js'
import type { Topology } from './topology.js'
import type { JournalStat } from './info.js'
import type { DiskState } from './disk-faults.js'

/** Where the control API is mounted, on the API server and on a `cdp-sim agent` alike. */
export const CONTROL_API_PREFIX = '/sim/v1'
import type { ViewFacts } from './view.js'
import type { VolumeFacts } from './volume.js'

export type { ViewFacts, VolumeFacts }

/** The NBD export names of volumes and views, for the control API to reveal. */
export interface NbdNames {
  /** undefined: no such export (the view is off). */
  exportName: (volumeUuid: string, kind: 'volume' | 'view') => string | undefined
  uri: (name: string) => string
}

export type ClockMode = 'real' | 'manual'

/** Told that a volume's view went on or off. */
export type ViewListener = (volumeUuid: string, on: boolean) => void

/** The in-process Simulator answers at once; one in a worker thread (worker-client.ts) with a promise. */
export type Awaitable<T> = T | Promise<T>

/** One block-aligned write: `fill` repeats one byte over `length`; `data` gives the bytes. */
export type BlockWrite =
  | { offset: number, length: number, fill: number }
  | { offset: number, data: Uint8Array }

export interface ImageDigest {
  /** sha256 over the image's content: equal digests, equal images. */
  digest: string
  /** The point the image is of. */
  time: Ns
}

export interface RecoverableRange {
  from: Ns
  to: Ns
  seq: bigint
}

export interface SimulatorControl {
  clock: () => Awaitable<{ now: Ns, mode: ClockMode }>
  /** Moves a manual clock forward; a real clock refuses with CLOCK_NOT_MANUAL. */
  advance: (by: Ns) => Awaitable<Ns>
  /** Applies the writes at the clock's now, as one unit; journals them where CDP is on. */
  write: (volumeUuid: string, writes: BlockWrite[]) => Awaitable<{ count: number, time: Ns }>
  /** The volume's image now, or at a recoverable point. */
  image: (volumeUuid: string, at?: Ns) => Awaitable<ImageDigest>
  /** The image the volume's view exposes. */
  viewImage: (volumeUuid: string) => Awaitable<ImageDigest>
  recoverable: (volumeUuid: string) => Awaitable<{ ranges: RecoverableRange[] }>
  /** Every CDP volume's journal use and recoverable window (metrics read these). */
  journalStats: () => Awaitable<JournalStat[]>
  /** Bytes of the image (block-aligned range inside the volume): now, or at a recoverable point. */
  readImage: (volumeUuid: string, offset: number, length: number, at?: Ns) => Awaitable<Buffer>
  /** Bytes of the image the volume's view exposes; VIEW_NOT_FOUND when it is off. */
  readView: (volumeUuid: string, offset: number, length: number) => Awaitable<Buffer>
  volumes: () => Awaitable<VolumeFacts[]>
  viewFacts: (volumeUuid: string) => Awaitable<ViewFacts>
  setHostOnline: (hostUuid: string, online: boolean) => Awaitable<void>
  /** A CDP disk failed, full or healed (disk-faults.ts). */
  setDiskState: (hostUuid: string, path: string, state: DiskState) => Awaitable<void>
  setVmRunning: (vmUuid: string, running: boolean) => Awaitable<void>
}

/** What a test harness does to the simulator as a whole (served as /sim/v1/reset, state, snapshots). */
export interface HarnessControl {
  /** Back to the topology's first state (another topology when given); a manual clock to its start. */
  reset: (topology?: Topology) => Awaitable<void>
  /** The whole state as a SQLite file's bytes; `scratch` is a path it may use meanwhile. */
  saveState: (scratch: string) => Awaitable<Buffer>
  /** Replaces the whole state with a saved file's; a bad file is INVALID_STATE_FILE and changes nothing. */
  loadState: (file: string) => Awaitable<void>
  /** An auto snapshot now on each volume, at most one a second each; all or none. */
  takeSnapshots: (volumeUuids: string[]) => Awaitable<Array<{ volume_uuid: string, name: string, time: Ns, taken: boolean }>>
}
