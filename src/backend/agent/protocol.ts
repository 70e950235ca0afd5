// The node agent protocol, version 1: what the API (AgentBackend) and an agent (a real one
// on a storage host, or `cdp-sim agent`) say to each other. Every operation is
// `POST /agent/v1/<op>` with a JSON body; every answer is the API's envelope
// {scode, desc, message, message_cn, stack, data} with the HTTP status of its scode, so an
// agent's failure arrives as the same catalogue entry the API would report.
//
// These schemas are the single source for both sides and for the protocol's OpenAPI file:
// `decode` validates a body and turns its uint64 fields into bigint in one step. uint64
// values travel as JSON integers (parse them losslessly: ns times exceed 2^53); a decimal
// string is accepted too. An agent whose `health` lists the feature `uint64-strings` writes
// them as decimal strings when asked (UINT64_STRINGS_MEDIA), which any JSON parser reads exactly.
import { Type, type StaticDecode, type TSchema } from '@sinclair/typebox'
import { CdpPolicy } from '../../schemas/batch.js'
import { CdpInfo } from '../../schemas/info.js'
import { InternalVolumeCdpListInfo } from '../../schemas/list.js'
import { PointInTime } from '../../schemas/point.js'
import { InternalVolumeIdentifier, VolumeIdentity } from '../../schemas/volume.js'
import { ProtectionStandings, WindowFacts } from '../../schemas/window.js'
import { CdpEventsData } from '../../schemas/events.js'
import { ChangesPage } from '../../schemas/changes.js'
import { WireUint64, wire } from '../../schemas/wire.js'

export { decode } from '../../schemas/wire.js'

export const AGENT_PROTOCOL_VERSION = 1
export const AGENT_PREFIX = '/agent/v1'

/** The additive v1 capabilities an agent may list in its `health` answer's `features`. */
export const AgentFeature = {
  /** Answers with every uint64 as a decimal string, to a request that accepts UINT64_STRINGS_MEDIA. */
  uint64Strings: 'uint64-strings',
  /** Honours list's `after` (items after that place in list order) and answers `before`. */
  listAfter: 'list-after'
} as const

/**
 * The media type of an answer whose uint64s are all decimal strings: the client sends it in
 * `Accept` to an agent that listed `uint64-strings`, and such an agent marks so its answer's
 * `Content-Type`. Without the parameter an answer is plain v1 (uint64s as JSON integers).
 */
export const UINT64_STRINGS_MEDIA = 'application/json; uint64=string'

/** Whether a media type (an `Accept` list or a `Content-Type`) carries `uint64=string`. */
export function namesUint64Strings (header: string | undefined): boolean {
  if (header === undefined) return false
  return header.split(',').some((range) => {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim().toLowerCase())
    return type === 'application/json' && (parameters.includes('uint64=string') || parameters.includes('uint64="string"'))
  })
}

// The records are the API's own (src/schemas/), in their wire form.
export const VolumeRef = InternalVolumeIdentifier
const Uuid = InternalVolumeIdentifier.properties.cluster_uuid

/** One volume's outcome in a batch: scode 0, or the failure's scode and detail. */
const BatchItem = Type.Object({ scode: Type.Integer(), desc: Type.String(), volume: VolumeIdentity })
const BatchAnswer = Type.Object({ results: Type.Array(BatchItem) })
const Volumes = Type.Array(VolumeRef, { minItems: 1 })

const Point = wire(PointInTime)

/** One volume's outcome in a group call, with the base it is replayed from and its view's host. */
const GroupItem = Type.Object({ ...BatchItem.properties, snapshot_name: Type.String(), host_uuid: Type.String() })
/** `time`: the ns the whole group changed at (0 when it did not); results in request order. */
const GroupAnswer = Type.Object({ time: WireUint64, results: Type.Array(GroupItem) })
const ADDED = 'Added in v1 (an agent without it answers ROUTE_NOT_FOUND)'
const ALL_OR_NOTHING = 'all or nothing in one transaction: when a volume refuses (not found here included), none changes and the others answer GROUP_NOT_APPLIED'

const Empty = Type.Object({})

/** A place in list order: a volume's name and uuid. */
const ListCursor = Type.Object({ volume_name: Type.String(), volume_uuid: Uuid })

/**
 * Every operation: its path under AGENT_PREFIX, whether the client may retry it (it has
 * the same effect however often it arrives), and its request and answer `data`.
 */
export const operations = {
  edit: {
    path: '/edit',
    idempotent: true,
    summary: 'Set the CDP policy of each volume, creating CDP (off) where it has none',
    request: Type.Object({
      policy: wire(CdpPolicy),
      volumes: Volumes
    }),
    answer: BatchAnswer
  },
  enable: {
    path: '/enable',
    idempotent: true,
    summary: 'Turn journaling on for each volume, creating CDP with the default policy where it has none',
    request: Type.Object({ volumes: Volumes }),
    answer: BatchAnswer
  },
  disable: {
    path: '/disable',
    idempotent: true,
    summary: 'Turn journaling off for each volume',
    request: Type.Object({ volumes: Volumes }),
    answer: BatchAnswer
  },
  list: {
    path: '/list',
    idempotent: true,
    summary: 'The first `limit` CDP volumes of the ranges asked for (0: all) after the first `offset`, ordered by volume name then uuid, with each range\'s total',
    request: Type.Object({
      cluster_uuid: Uuid,
      tenant: Type.Optional(Uuid),
      filter_name: Type.Optional(Type.String()),
      /** Only these namespaces (absent: every namespace the agent has). */
      namespaces: Type.Optional(Type.Array(Uuid)),
      /** Not these namespaces (they are served by other agents). */
      exclude_namespaces: Type.Optional(Type.Array(Uuid)),
      limit: Type.Integer({ minimum: 0 }),
      /** Items skipped before the first one answered (absent: 0); the API pages long lists with it. */
      offset: Type.Optional(Type.Integer({ minimum: 0 })),
      /** Added in v1, advertised as the feature list-after: only the items after this one in list order (offset counts from there). */
      after: Type.Optional(ListCursor)
    }),
    answer: Type.Object({
      cluster: Type.Object({ uuid: Type.String(), name: Type.String(), mode: Type.String() }),
      ranges: Type.Array(Type.Object({ namespace_uuid: Type.String(), total_count: Type.Integer({ minimum: 0 }) })),
      items: Type.Array(wire(InternalVolumeCdpListInfo)),
      /** With `after`: how many of the matching items are at or before it (an agent without list-after leaves it out). */
      before: Type.Optional(Type.Integer({ minimum: 0 }))
    })
  },
  info: {
    path: '/info',
    idempotent: true,
    summary: 'A volume\'s journal segments with their snapshots, and the host its view is on ("" if none)',
    request: Type.Object({ volume: VolumeRef }),
    answer: wire(CdpInfo)
  },
  clean: {
    path: '/clean',
    idempotent: false,
    summary: 'Delete the volume\'s whole CDP (usd_seq absent) or one journal segment',
    request: Type.Object({ volume: VolumeRef, usd_seq: Type.Optional(WireUint64) }),
    answer: Empty
  },
  viewOn: {
    path: '/view/on',
    idempotent: false,
    summary: 'Expose a read-only image of the point; answers the host it is exposed on',
    request: Type.Object({ volume: VolumeRef, point: Point }),
    answer: Type.Object({ host_uuid: Type.String() })
  },
  viewOff: {
    path: '/view/off',
    idempotent: false,
    summary: 'Remove the volume\'s view',
    request: Type.Object({ volume: VolumeRef }),
    answer: Empty
  },
  revert: {
    path: '/revert',
    idempotent: false,
    summary: 'Roll the volume back to the point, journaled as ordinary writes',
    request: Type.Object({ volume: VolumeRef, point: Point }),
    answer: Empty
  },
  window: {
    path: '/window',
    idempotent: true,
    summary: 'Added in v1 (an agent without it answers ROUTE_NOT_FOUND): the volume\'s recoverable ranges, the gaps inside reserve_duration with their reasons, and journal use',
    request: Type.Object({ volume: VolumeRef }),
    answer: wire(WindowFacts)
  },
  events: {
    path: '/events',
    idempotent: true,
    summary: 'Added in v1 (an agent without it answers ROUTE_NOT_FOUND): the volume\'s CDP events after `since` (ns), oldest first; page_num 0-based, page_size 0 for all',
    request: Type.Object({
      volume: VolumeRef,
      since: Type.Optional(WireUint64),
      page_num: Type.Integer({ minimum: 0 }),
      page_size: Type.Integer({ minimum: 0 })
    }),
    answer: wire(CdpEventsData)
  },
  protection: {
    path: '/protection',
    idempotent: true,
    summary: 'Added in v1 (an agent without it answers ROUTE_NOT_FOUND): the first `limit` CDP volumes the agent has, by volume_uuid, each with what its window\'s pressure is decided from, and how many CDP volumes it has (the API\'s protection gauges)',
    request: Type.Object({ limit: Type.Integer({ minimum: 1 }) }),
    answer: wire(ProtectionStandings)
  },
  groupMembers: {
    path: '/group/members',
    idempotent: true,
    summary: `${ADDED}: the volumes with CDP of a VM that this agent serves (of tenant, when given); VM_NOT_FOUND when it serves none of the VM's volumes`,
    request: Type.Object({ cluster_uuid: Uuid, tenant: Type.Optional(Uuid), vm_uuid: Uuid }),
    answer: Type.Object({ volumes: Type.Array(VolumeRef) })
  },
  groupViewOn: {
    path: '/group/view/on',
    idempotent: false,
    summary: `${ADDED}: a view of every volume at one timestamp, each from its newest snapshot at or before it; ${ALL_OR_NOTHING}`,
    request: Type.Object({ volumes: Volumes, timestamp: WireUint64 }),
    answer: GroupAnswer
  },
  groupViewOff: {
    path: '/group/view/off',
    idempotent: false,
    summary: `${ADDED}: every volume's view removed; ${ALL_OR_NOTHING}`,
    request: Type.Object({ volumes: Volumes }),
    answer: GroupAnswer
  },
  groupRevert: {
    path: '/group/revert',
    idempotent: false,
    summary: `${ADDED}: every volume reverted to one timestamp, each from its newest snapshot at or before it, at one ns for the group; ${ALL_OR_NOTHING}`,
    request: Type.Object({ volumes: Volumes, timestamp: WireUint64 }),
    answer: GroupAnswer
  },
  changes: {
    path: '/changes',
    idempotent: true,
    summary: `${ADDED}: the byte extents whose content differs between the recoverable points from and to (ns), merged and ordered, from byte start on, at most limit of them; next is where the next page starts (null: no more)`,
    request: Type.Object({
      volume: VolumeRef,
      from: WireUint64,
      to: WireUint64,
      start: WireUint64,
      limit: Type.Integer({ minimum: 1 })
    }),
    answer: wire(ChangesPage)
  },
  health: {
    path: '/health',
    idempotent: true,
    summary: 'The agent is up and speaks this protocol version, with the additive features it lists (absent: none)',
    request: Empty,
    answer: Type.Object({
      protocol: Type.Literal(AGENT_PROTOCOL_VERSION),
      features: Type.Optional(Type.Array(Type.String(), { description: `Added in v1: ${Object.values(AgentFeature).join(', ')}; a client ignores names it does not know` }))
    })
  }
} as const satisfies Record<string, { path: string, idempotent: boolean, summary: string, request: TSchema, answer: TSchema }>

export type Operation = keyof typeof operations
export type AgentRequest<Op extends Operation> = StaticDecode<typeof operations[Op]['request']>
export type AgentAnswer<Op extends Operation> = StaticDecode<typeof operations[Op]['answer']>

/** The envelope every agent answer travels in. */
export const AgentEnvelope = Type.Object({
  scode: Type.Integer(),
  desc: Type.String(),
  message: Type.String(),
  message_cn: Type.String(),
  stack: Type.Null(),
  data: Type.Unknown()
})
