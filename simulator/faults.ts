// Fault rules, in the style of LocalStack's chaos API and Toxiproxy: a rule names a CdpBackend
// operation (and optionally one volume) and, with a probability, fails the call with a
// catalogue scode, delays it, or drops its connection. `withFaults` puts the rules in front
// of a backend; every HTTP server that serves it (the API, the agent protocol) then meets
// them. Each rule draws from its own seeded generator, so a run with the same seeds and the
// same calls fires the same faults.
import { randomInt, randomUUID } from 'node:crypto'
import { CDP_OPERATIONS, type CdpBackend, type CdpOperation, type VolumeRef } from '../src/backend/port.js'
import { CdpError, scodeName } from '../src/errors.js'
import { DropConnection } from '../src/error-handler.js'
import { mulberry32 } from './random.js'

/** The operations a rule may name: CdpBackend's, and the NBD exports' reads and writes. */
export const NBD_OPERATIONS = ['nbd_read', 'nbd_write'] as const
export const FAULT_OPERATIONS = [...CDP_OPERATIONS, ...NBD_OPERATIONS] as const
export type FaultOperation = typeof FAULT_OPERATIONS[number]

/** The longest delay a rule may add: a test that needs more wants a timeout, not a delay. */
export const MAX_LATENCY_MS = 60_000

export interface FaultRuleInput {
  operation: FaultOperation
  volume_uuid?: string
  /** Chance in [0, 1] that a matching call is hit. */
  probability: number
  /** Hits after which the rule stops firing (it stays listed). */
  count?: number
  latency_ms?: number
  scode?: number
  drop?: boolean
  /** uint32 seed of the rule's generator; one is chosen (and listed) when absent. */
  seed?: number
  /** Given by a cluster's control server, so every agent knows the rule by one id. */
  id?: string
}

/** A stored rule: what was asked, its id and seed, and how it has fared. */
export type FaultRule = Omit<FaultRuleInput, 'id' | 'seed' | 'drop'> & {
  id: string
  drop?: true
  seed: number
  /** Calls the rule matched (and drew for). */
  matched: number
  /** Calls it hit. */
  fired: number
}

/** What a hit does to the call: wait, then fail or drop (or go on). */
export interface Fault {
  latencyMs: number
  scode?: number
  drop: boolean
}

/** A rule's draws in [0, 1). */
function generator (seed: number): () => number {
  const next32 = mulberry32(seed)
  return () => next32() / 2 ** 32
}

const bad = (desc: string): never => { throw new CdpError('INVALID_PARAMETER', desc) }

/** The rules the request schema cannot say; a rule that breaks one is a 400, never stored. */
function checkRule (input: FaultRuleInput, served: ReadonlySet<FaultOperation>): void {
  if (!served.has(input.operation)) bad(`operation ${input.operation} is not served by this simulator (NBD exports do not exist here)`)
  if (input.scode !== undefined && input.drop === true) bad('give scode or drop, not both')
  if (input.scode === undefined && input.drop !== true && (input.latency_ms ?? 0) === 0) {
    bad('a rule needs an effect: scode, drop or latency_ms')
  }
  if (input.scode !== undefined && scodeName(input.scode) === undefined) bad(`scode ${input.scode} is not in the catalogue`)
  if ((input.operation === 'list' || input.operation === 'groupMembers') && input.volume_uuid !== undefined) bad(`${input.operation} names no volume: leave volume_uuid out`)
}

export class FaultRules {
  private readonly rules = new Map<string, { rule: FaultRule, draw: () => number }>()
  private readonly served: ReadonlySet<FaultOperation>

  /** `served`: the operations this simulator has (NBD's join when it serves exports). */
  constructor (served: readonly FaultOperation[] = CDP_OPERATIONS) {
    this.served = new Set(served)
  }

  add (input: FaultRuleInput): FaultRule {
    checkRule(input, this.served)
    const id = (input.id ?? randomUUID()).toLowerCase()
    if (this.rules.has(id)) bad(`a rule with id ${id} exists`)
    const seed = input.seed ?? randomInt(2 ** 32)
    const rule: FaultRule = {
      id,
      operation: input.operation,
      ...(input.volume_uuid === undefined ? {} : { volume_uuid: input.volume_uuid.toLowerCase() }),
      probability: input.probability,
      ...(input.count === undefined ? {} : { count: input.count }),
      ...(input.latency_ms === undefined ? {} : { latency_ms: input.latency_ms }),
      ...(input.scode === undefined ? {} : { scode: input.scode }),
      ...(input.drop === true ? { drop: true } : {}),
      seed,
      matched: 0,
      fired: 0
    }
    this.rules.set(id, { rule, draw: generator(seed) })
    return { ...rule }
  }

  list (): FaultRule[] {
    return [...this.rules.values()].map(({ rule }) => ({ ...rule }))
  }

  /** False when there is no such rule. */
  remove (id: string): boolean {
    return this.rules.delete(id.toLowerCase())
  }

  /** Removes every rule; answers how many there were. */
  clear (): number {
    const removed = this.rules.size
    this.rules.clear()
    return removed
  }

  /**
   * The fault a call meets: every matching rule that is not spent draws once, in the order
   * they were added; the first hit decides. A call naming several volumes matches a rule
   * for any of them.
   */
  decide (operation: FaultOperation, volumes: readonly string[] = []): Fault | undefined {
    for (const { rule, draw } of this.rules.values()) {
      if (rule.operation !== operation) continue
      if (rule.volume_uuid !== undefined && !volumes.some((uuid) => uuid.toLowerCase() === rule.volume_uuid)) continue
      if (rule.count !== undefined && rule.fired >= rule.count) continue
      rule.matched++
      if (draw() >= rule.probability) continue
      rule.fired++
      return { latencyMs: rule.latency_ms ?? 0, ...(rule.scode === undefined ? {} : { scode: rule.scode }), drop: rule.drop === true }
    }
    return undefined
  }

  /** Waits out the fault's latency, then throws its failure (an envelope, or no answer at all). */
  async apply (fault: Fault | undefined): Promise<void> {
    if (fault === undefined) return
    if (fault.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs))
    if (fault.drop) throw new DropConnection()
    const code = fault.scode === undefined ? undefined : scodeName(fault.scode)
    if (code !== undefined) throw new CdpError(code, 'injected by a simulator fault rule')
  }
}

/** The volumes a call of `operation` names, read from its arguments. */
function volumesOf (operation: CdpOperation, args: unknown[]): string[] {
  switch (operation) {
    case 'edit': return (args[1] as VolumeRef[]).map((v) => v.volume_uuid)
    case 'enable':
    case 'disable':
    case 'groupViewOn':
    case 'groupViewOff':
    case 'groupRevert': return (args[0] as VolumeRef[]).map((v) => v.volume_uuid)
    case 'list':
    case 'groupMembers':
    case 'protection': return []
    default: return [(args[0] as VolumeRef).volume_uuid]
  }
}

type Call = (...args: unknown[]) => Promise<unknown>

/** `backend` with `rules` in front of each of its operations. */
export function withFaults (backend: CdpBackend, rules: FaultRules): CdpBackend {
  const guarded = (operation: CdpOperation): Call => {
    const call = backend[operation].bind(backend) as Call
    return async (...args) => {
      await rules.apply(rules.decide(operation, volumesOf(operation, args)))
      return await call(...args)
    }
  }
  return {
    ...Object.fromEntries(CDP_OPERATIONS.map((operation) => [operation, guarded(operation)])),
    ready: backend.ready.bind(backend),
    close: backend.close.bind(backend)
  } as CdpBackend
}
