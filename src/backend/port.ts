// CdpBackend: the one seam between the HTTP layer and whatever holds CDP state (the
// in-process simulator, or node agents over HTTP). Records carry the contract's own field
// names so routes pass them through untouched; every time in ns is a bigint.
import type { ListKey } from '../list-order.js'
import type { Static } from '@sinclair/typebox'
import type { CdpError } from '../errors.js'
import type { CdpPolicy as CdpPolicySchema } from '../schemas/batch.js'
import type { CdpInfo as CdpInfoSchema, CdpSegment, CdpSnapshotInfo } from '../schemas/info.js'
import type { InternalVolumeCdpListInfo } from '../schemas/list.js'
import type { PointInTime as PointInTimeSchema } from '../schemas/point.js'
import type { InternalVolumeIdentifier, VolumeIdentity as VolumeIdentitySchema } from '../schemas/volume.js'

// The records are defined once, as TypeBox schemas in src/schemas/; these are their types.
export { CDP_PRIORITIES, CDP_STATES } from '../schemas/list.js'
import type { CdpEventsPage, EventsQuery } from '../schemas/events.js'
import type { ProtectionStanding, WindowFacts } from '../schemas/window.js'
import type { ChangesPage } from '../schemas/changes.js'

/** Nanoseconds since the unix epoch. */
export type Ns = bigint
export const NS_PER_SECOND = 1_000_000_000n

export type CdpPriority = CdpPolicy['cdp_priority']
export type CdpState = CdpListItem['cdp_state']

/**
 * How a request names a volume (the spec's InternalVolumeIdentifier). When `tenant` is
 * given, the volume must belong to it, else it is "not found"; `volume_name` is
 * informational only: the uuid identifies the volume.
 */
export type VolumeRef = InternalVolumeIdentifier

/** The identity a batch result carries as `data`, filled in from the cluster. */
export type VolumeIdentity = Static<typeof VolumeIdentitySchema>

/** reserve_capacity: bytes of CDP disk the journal may use; reserve_duration: seconds of history kept. */
export type CdpPolicy = Static<typeof CdpPolicySchema>

/** One volume's outcome in a batch call; a failure still names the volume. */
export type BatchOutcome =
  | { ok: true, volume: VolumeIdentity }
  | { ok: false, volume: VolumeIdentity, error: CdpError }

/** The spec's InternalVolumeCdpListInfo (cdp_create_time in unix seconds). */
export type CdpListItem = Static<typeof InternalVolumeCdpListInfo>

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
  /** Only the items after this one in list order; the page is counted from there (the agent protocol's keyset cursor). */
  after?: ListKey
  /**
   * The caller would take `printed_list` instead of `List`: a backend that works off the
   * caller's thread prints the items there (printListItems), so the caller handles bytes,
   * not thousands of objects. Others may ignore it and answer `List`.
   */
  print_list?: boolean
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
  /** With `after`: how many of the matches are at or before it. */
  before?: number
  /** With `print_list`, when the backend took it: the page's items printed (printListItems, UTF-8); `List` is then empty. */
  printed_list?: Uint8Array
}

/** The spec's CdpSnapshotInfo. */
export type CdpSnapshot = Static<typeof CdpSnapshotInfo>

/** The spec's CdpInfoResponse without its `status`: one journal segment. */
export type CdpSegmentInfo = Static<typeof CdpSegment>

/** A volume's segments, and the host its view is exposed on ("" when it has none). */
export type CdpInfo = Static<typeof CdpInfoSchema>

/** A point in time, named as the spec does: a base snapshot and the time replayed to. */
export type PointInTime = Static<typeof PointInTimeSchema>

/** A VM named as a group: every CDP volume of it (of `tenant`, when given). */
export interface VmGroupRef {
  cluster_uuid: string
  tenant?: string
  vm_uuid: string
}

/** One volume's outcome in a group call, with the base snapshot it is replayed from ("" when none was found). */
export type GroupOutcome = BatchOutcome & { snapshot_name: string, host_uuid: string }

/** A group call's outcomes, in request order; `time` is the one ns the whole group changed at (0n when it did not). */
export interface GroupResult {
  time: Ns
  outcomes: GroupOutcome[]
}

/** One page of changed extents from byte `start`: at most `limit` extents. */
export interface ChangesQuery {
  from: Ns
  to: Ns
  start: bigint
  limit: number
}
export type { ChangesPage }

/** The operations of CdpBackend that act on CDP state (what the wrappers time or guard). */
export const CDP_OPERATIONS = ['edit', 'enable', 'disable', 'list', 'info', 'clean', 'viewOn', 'viewOff', 'revert', 'window', 'events',
  'groupMembers', 'groupViewOn', 'groupViewOff', 'groupRevert', 'changes', 'protection'] as const
export type CdpOperation = typeof CDP_OPERATIONS[number]

export interface ProtectionSurvey {
  volumes: ProtectionStanding[]
  omitted: number
  unanswered: number
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
  /** Extension: what happened to the volume's CDP, oldest first; kept past a clean, with a bound per volume. */
  events: (volume: VolumeRef, query: EventsQuery) => Promise<CdpEventsPage>
  /**
   * Extension, the protection gauges' source: the standing of the first `limit` CDP volumes
   * it has (by volume_uuid), how many more it left out, and how many of its agents did not
   * answer (their volumes are missing). Read only: it settles no retention.
   */
  protection: (limit: number) => Promise<ProtectionSurvey>
  /** Extension: the CDP volumes of a VM, as refs a group call takes (VM_NOT_FOUND, CDP_NOT_FOUND when it has none). */
  groupMembers: (vm: VmGroupRef) => Promise<VolumeRef[]>
  /**
   * Extension: a view of every volume at one `timestamp`, each from its newest snapshot at or
   * before it; all or nothing (a refusal leaves every volume as it was).
   */
  groupViewOn: (volumes: VolumeRef[], timestamp: Ns) => Promise<GroupResult>
  groupViewOff: (volumes: VolumeRef[]) => Promise<GroupResult>
  /** Extension: every volume reverted to one `timestamp`, all or nothing, at one ns of the group's own. */
  groupRevert: (volumes: VolumeRef[], timestamp: Ns) => Promise<GroupResult>
  /** Extension: the byte extents whose content differs between two recoverable points, merged and ordered. */
  changes: (volume: VolumeRef, query: ChangesQuery) => Promise<ChangesPage>
  /** Whether the backend can serve; throws a CdpError naming what is down. */
  ready: () => Promise<void>
  close: () => Promise<void>
}
