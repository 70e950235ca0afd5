// CdpBackend: the one seam between the HTTP layer and whatever holds CDP state (the
// in-process simulator, or node agents over HTTP). Records carry the contract's own field
// names so routes pass them through untouched; every time in ns is a bigint.
import type { CdpError } from '../errors.js'
import type { WindowFacts } from '../schemas/window.js'

/** Nanoseconds since the unix epoch. */
export type Ns = bigint
export const NS_PER_SECOND = 1_000_000_000n

export const CDP_PRIORITIES = ['high', 'mid', 'low'] as const
export type CdpPriority = typeof CDP_PRIORITIES[number]

export const CDP_STATES = ['on', 'off'] as const
export type CdpState = typeof CDP_STATES[number]

/** How a request names a volume (the spec's InternalVolumeIdentifier). */
export interface VolumeRef {
  cluster_uuid: string
  /** When given, the volume must belong to this tenant, else it is "not found". */
  tenant?: string
  volume_uuid: string
  /** Informational only: the uuid identifies the volume. */
  volume_name?: string
}

/** The identity a batch result carries as `data`, filled in from the cluster. */
export interface VolumeIdentity {
  cluster_uuid: string
  cluster_name: string
  cluster_mode: string
  tenant: string
  tenant_name: string
  multiple: boolean
  vm_type: string
  volume_uuid: string
  volume_name: string
  owner: string
}

export interface CdpPolicy {
  cdp_priority: CdpPriority
  /** Bytes of CDP disk the journal may use. */
  reserve_capacity: bigint
  /** Seconds of history kept recoverable. */
  reserve_duration: bigint
}

/** One volume's outcome in a batch call; a failure still names the volume. */
export type BatchOutcome =
  | { ok: true, volume: VolumeIdentity }
  | { ok: false, volume: VolumeIdentity, error: CdpError }

/** The spec's InternalVolumeCdpListInfo. */
export interface CdpListItem {
  cluster_uuid: string
  cluster_name: string
  cluster_mode: string
  tenant: string
  tenant_name: string
  volume_uuid: string
  volume_name: string
  vm_name: string
  vm_uuid: string
  reserve_duration: bigint
  reserve_capacity: bigint
  /** Unix seconds. */
  cdp_create_time: number
  cdp_state: CdpState
  cdp_priority: CdpPriority
}

export interface ListQuery {
  cluster_uuid: string
  tenant?: string
  /** Substring of the volume name or uuid, case-insensitive; empty matches all. */
  filter_name?: string
  /** 0-based. */
  page_num: number
  /** 0 returns everything. */
  page_size: number
  /** Only these namespaces (a backend serving part of a cluster is asked for its part). */
  namespaces?: string[]
  /** Not these namespaces (others serve them). */
  exclude_namespaces?: string[]
}

/** One range (cluster × namespace) that a list covered, and how that range fared. */
export interface RangeState {
  cluster_uuid: string
  cluster_name: string
  cluster_mode: string
  namespace_uuid: string
  /** Absent when the range answered; the failure when it did not. */
  error?: CdpError
  total_count: number
}

export interface ListResult {
  TotalCount: number
  List: CdpListItem[]
  each_range_list_state: RangeState[]
}

/** The spec's CdpSnapshotInfo. */
export interface CdpSnapshot {
  name: string
  time: Ns
}

/** The spec's CdpInfoResponse: one journal segment. */
export interface CdpSegmentInfo {
  snaps: CdpSnapshot[]
  seq: bigint
  startTime: Ns
  use: bigint
  capacity: bigint
  ioStartTime: Ns
  ioLastTime: Ns
  online: boolean
  usd_maddr: string
  usd_path: string
}

export interface CdpInfo {
  cdp_info: CdpSegmentInfo[]
  /** The host the volume's view is exposed on; "" when it has none. */
  host_uuid: string
}

/** A point in time, named as the spec does: a base snapshot and the time replayed to. */
export interface PointInTime {
  snapshot_name: string
  timestamp: Ns
}

export interface CdpBackend {
  /** Sets the policy, creating the volume's CDP (state off) where it has none. */
  edit: (policy: CdpPolicy, volumes: VolumeRef[]) => Promise<BatchOutcome[]>
  /** Turns journaling on, creating CDP with the default policy where it has none. */
  enable: (volumes: VolumeRef[]) => Promise<BatchOutcome[]>
  disable: (volumes: VolumeRef[]) => Promise<BatchOutcome[]>
  list: (query: ListQuery) => Promise<ListResult>
  info: (volume: VolumeRef) => Promise<CdpInfo>
  /** Without `usdSeq` deletes the whole CDP; with it, that one journal segment. */
  clean: (volume: VolumeRef, usdSeq?: bigint) => Promise<void>
  /** Exposes a read-only image of the point; returns the host it is exposed on. */
  viewOn: (volume: VolumeRef, point: PointInTime) => Promise<{ host_uuid: string }>
  viewOff: (volume: VolumeRef) => Promise<void>
  revert: (volume: VolumeRef, point: PointInTime) => Promise<void>
  /** Extension: the volume's recoverable ranges, the gaps between them and why, and journal use. */
  window: (volume: VolumeRef) => Promise<WindowFacts>
  /** Whether the backend can serve; throws a CdpError naming what is down. */
  ready: () => Promise<void>
  close: () => Promise<void>
}
