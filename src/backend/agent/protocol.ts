// The node agent protocol, version 1: what the API (AgentBackend) and an agent (a real one
// on a storage host, or `cdp-sim agent`) say to each other. Every operation is
// `POST /agent/v1/<op>` with a JSON body; every answer is the API's envelope
// {scode, desc, message, message_cn, stack, data} with the HTTP status of its scode, so an
// agent's failure arrives as the same catalogue entry the API would report.
//
// These schemas are the single source for both sides and for the protocol's OpenAPI file:
// `decode` validates a body and turns its uint64 fields into bigint in one step. uint64
// values travel as JSON integers (parse them losslessly: ns times exceed 2^53); a decimal
// string is accepted too.
import { Kind, Type, TypeRegistry, type StaticDecode, type TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { CDP_PRIORITIES, CDP_STATES } from '../port.js'
import { GAP_REASONS } from '../../schemas/window.js'
import { CdpError, type ScodeName } from '../../errors.js'
import { UUID_PATTERN } from '../../uuid.js'

export const AGENT_PROTOCOL_VERSION = 1
export const AGENT_PREFIX = '/agent/v1'

const Uuid = Type.String({ pattern: UUID_PATTERN })

/** A uint64 on the wire: a JSON integer (or decimal string), a bigint once decoded. */
const U64 = Type.Transform(Type.Union([
  Type.Integer({ minimum: 0 }),
  Type.String({ pattern: '^[0-9]{1,20}$' })
], { description: 'uint64: a JSON integer, exact (parse losslessly), or a decimal string' }))
  .Decode((value) => {
    const n = BigInt(value)
    if (n >= 2n ** 64n) throw new Error('above 2^64-1')
    return n
  })
  .Encode((value: bigint) => value.toString())

// A plain string `enum` (one clear list in the OpenAPI file), under a kind registered with
// TypeBox: `Value` refuses to check an unregistered Unsafe schema ("Unknown type").
TypeRegistry.Set<{ enum: string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value))
const StringEnum = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ [Kind]: 'StringEnum', type: 'string', enum: [...values] })

export const VolumeRef = Type.Object({
  cluster_uuid: Uuid,
  tenant: Type.Optional(Uuid),
  volume_uuid: Uuid,
  volume_name: Type.Optional(Type.String())
})

const VolumeIdentity = Type.Object({
  cluster_uuid: Type.String(),
  cluster_name: Type.String(),
  cluster_mode: Type.String(),
  tenant: Type.String(),
  tenant_name: Type.String(),
  multiple: Type.Boolean(),
  vm_type: Type.String(),
  volume_uuid: Type.String(),
  volume_name: Type.String(),
  owner: Type.String()
})

/** One volume's outcome in a batch: scode 0, or the failure's scode and detail. */
const BatchItem = Type.Object({ scode: Type.Integer(), desc: Type.String(), volume: VolumeIdentity })
const BatchAnswer = Type.Object({ results: Type.Array(BatchItem) })
const Volumes = Type.Array(VolumeRef, { minItems: 1 })

const Point = Type.Object({ snapshot_name: Type.String({ minLength: 1 }), timestamp: U64 })

const ListItem = Type.Object({
  cluster_uuid: Type.String(),
  cluster_name: Type.String(),
  cluster_mode: Type.String(),
  tenant: Type.String(),
  tenant_name: Type.String(),
  volume_uuid: Type.String(),
  volume_name: Type.String(),
  vm_name: Type.String(),
  vm_uuid: Type.String(),
  reserve_duration: U64,
  reserve_capacity: U64,
  cdp_create_time: Type.Integer(),
  cdp_state: StringEnum(CDP_STATES),
  cdp_priority: StringEnum(CDP_PRIORITIES)
})

const Segment = Type.Object({
  snaps: Type.Array(Type.Object({ name: Type.String(), time: U64 })),
  seq: U64,
  startTime: U64,
  use: U64,
  capacity: U64,
  ioStartTime: U64,
  ioLastTime: U64,
  online: Type.Boolean(),
  usd_maddr: Type.String(),
  usd_path: Type.String()
})

const WindowAnswer = Type.Object({
  ranges: Type.Array(Type.Object({ from: U64, to: U64, seq: U64 })),
  gaps: Type.Array(Type.Object({ from: U64, to: U64, reason: StringEnum(GAP_REASONS) })),
  configured_seconds: U64,
  actual_seconds: Type.Number({ minimum: 0 }),
  recoverable_seconds: Type.Number({ minimum: 0 }),
  on_seconds: Type.Number({ minimum: 0 }),
  use: U64,
  capacity: U64
})

const Empty = Type.Object({})

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
      policy: Type.Object({ cdp_priority: StringEnum(CDP_PRIORITIES), reserve_capacity: U64, reserve_duration: U64 }),
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
      offset: Type.Optional(Type.Integer({ minimum: 0 }))
    }),
    answer: Type.Object({
      cluster: Type.Object({ uuid: Type.String(), name: Type.String(), mode: Type.String() }),
      ranges: Type.Array(Type.Object({ namespace_uuid: Type.String(), total_count: Type.Integer({ minimum: 0 }) })),
      items: Type.Array(ListItem)
    })
  },
  info: {
    path: '/info',
    idempotent: true,
    summary: 'A volume\'s journal segments with their snapshots, and the host its view is on ("" if none)',
    request: Type.Object({ volume: VolumeRef }),
    answer: Type.Object({ cdp_info: Type.Array(Segment), host_uuid: Type.String() })
  },
  clean: {
    path: '/clean',
    idempotent: false,
    summary: 'Delete the volume\'s whole CDP (usd_seq absent) or one journal segment',
    request: Type.Object({ volume: VolumeRef, usd_seq: Type.Optional(U64) }),
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
    answer: WindowAnswer
  },
  health: {
    path: '/health',
    idempotent: true,
    summary: 'The agent is up and speaks this protocol version',
    request: Empty,
    answer: Type.Object({ protocol: Type.Literal(AGENT_PROTOCOL_VERSION) })
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

/**
 * Validates a body against a protocol schema and converts its uint64 fields to bigint.
 * A body that does not fit is `code` (the agent refuses a bad request with
 * INVALID_PARAMETER; the client treats a bad answer as AGENT_BAD_RESPONSE).
 */
export function decode<T extends TSchema> (schema: T, value: unknown, code: ScodeName): StaticDecode<T> {
  const check = compiled(schema)
  if (!check.Check(value)) {
    const first = check.Errors(value).First()
    const message = first === undefined ? 'does not fit' : Array.isArray(first.schema.enum) ? `must be one of ${first.schema.enum.join(', ')}` : first.message
    throw new CdpError(code, `${first === undefined || first.path === '' ? 'body' : first.path}: ${message}`)
  }
  try {
    return check.Decode(value)
  } catch (err) {
    throw new CdpError(code, (err as Error).message)
  }
}

/** Each schema is compiled to a checker once: every call and answer goes through one. */
const checkers = new WeakMap<TSchema, TypeCheck<TSchema>>()

function compiled<T extends TSchema> (schema: T): TypeCheck<T> {
  let check = checkers.get(schema)
  if (check === undefined) {
    check = TypeCompiler.Compile(schema)
    checkers.set(schema, check)
  }
  return check as TypeCheck<T>
}
