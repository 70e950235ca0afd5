// Generated histories for the model test: commands over a few small volumes, weighted so that
// retention's exact boundaries come up on purpose (the clock moved to exactly now −
// reserve_duration = the oldest snapshot and 1 ns past it, to a tick and 1 ns before it, a long
// jump over many ticks; writes that bring journal use exactly to reserve_capacity and one
// block past it), along with bursts of changes at one instant.
import fc from 'fast-check'

export const BLOCKS = 8
export const VOLUMES = 2
const KIB4 = 4096n
const NS = 1_000_000_000n

export type Fill = { fill: number } | { seed: number }

export type Command =
  | { kind: 'write', volume: number, block: number, blocks: number, content: Fill }
  | { kind: 'fillToCapacity', volume: number, past: 0 | 1, content: Fill }
  | { kind: 'advance', ns: bigint }
  | { kind: 'boundary', volume: number, at: Boundary }
  | { kind: 'enable' | 'cleanAll', volume: number }
  /** A disable, then the clock moved by `pause` (a CDP-off gap when it is not 0). */
  | { kind: 'disable', volume: number, pause: bigint }
  | { kind: 'edit', volume: number, capacity: bigint, duration: bigint, priority: 'high' | 'mid' | 'low' }
  | { kind: 'revert' | 'view', volume: number, range: number, at: number }
  | { kind: 'badPoint', volume: number, at: 'gap' | 'beforeOldest' | 'afterNow', range: number, by: 'revert' | 'view' }
  | { kind: 'clean', volume: number, segment: number }

/** Clock moves chosen from the model's state when the command runs. */
export type Boundary = 'cutAtOldest' | 'cutPastOldest' | 'tick' | 'beforeTick' | 'longJump'

const volume = fc.integer({ min: 0, max: VOLUMES - 1 })
/** Where in a list or span to pick: the ends often, anywhere between too. */
const fraction = fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }))
const content: fc.Arbitrary<Fill> = fc.oneof(fc.record({ fill: fc.integer({ min: 0, max: 3 }) }), fc.record({ seed: fc.integer({ min: 0, max: 3 }) }))

const capacities = [1n, 2n, 3n, 5n, 8n, 12n].map((b) => b * KIB4).concat([6000n, 1n << 30n, 0n, 1n, KIB4 - 1n])
const durations = [1n, 5n, 20n, 60n, 3600n].concat([0n])

export const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({ kind: fc.constant('write' as const), volume, block: fc.integer({ min: 0, max: BLOCKS - 1 }), blocks: fc.integer({ min: 1, max: 3 }), content })
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fillToCapacity' as const), volume, past: fc.constantFrom(0 as const, 1 as const), content }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ns: fc.constantFrom(1n, 1_000_000n, 400_000_000n, NS, 3n * NS, 5n * NS, 13n * NS, 40n * NS, 200n * NS)
    })
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('boundary' as const), volume, at: fc.constantFrom<Boundary>('cutAtOldest', 'cutPastOldest', 'tick', 'beforeTick', 'longJump') })
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('enable' as const), volume }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('disable' as const), volume, pause: fc.constantFrom(0n, 1n, 1_000_000n, 2n * NS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cleanAll' as const), volume }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      volume,
      capacity: fc.constantFrom(...capacities),
      duration: fc.constantFrom(...durations),
      priority: fc.constantFrom('high' as const, 'mid' as const, 'low' as const)
    })
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('revert' as const, 'view' as const), volume, range: fraction, at: fraction }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('badPoint' as const),
      volume,
      at: fc.constantFrom('gap' as const, 'gap' as const, 'beforeOldest' as const, 'afterNow' as const),
      range: fraction,
      by: fc.constantFrom('revert' as const, 'view' as const)
    })
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clean' as const), volume, segment: fraction }) }
)

/** Most histories start with CDP on for each volume, so that most steps have points to check. */
export const history = fc.tuple(
  fc.array(fc.constantFrom(true, true, false), { minLength: VOLUMES, maxLength: VOLUMES }),
  fc.array(command, { minLength: 1, maxLength: 60, size: 'max' })
).map(([enabled, steps]): Command[] => [
  ...enabled.flatMap((on, volume) => on ? [{ kind: 'enable' as const, volume }] : []),
  ...steps
])

export function pick<T> (items: readonly T[], f: number): T | undefined {
  return items[Math.min(items.length - 1, Math.floor(f * items.length))]
}

/**
 * One written history that runs every kind of command the test counts, the rare ones (a gap
 * point, use exactly at reserve_capacity, a cut exactly at the oldest snapshot) included: it runs
 * first in every batch, so that the "every kind exercised" check does not depend on the seed.
 */
export const EVERY_KIND: Command[] = [
  { kind: 'enable', volume: 0 },
  { kind: 'write', volume: 0, block: 0, blocks: 2, content: { fill: 1 } },
  { kind: 'write', volume: 0, block: 1, blocks: 1, content: { fill: 2 } },
  { kind: 'advance', ns: NS },
  { kind: 'boundary', volume: 0, at: 'beforeTick' },
  { kind: 'boundary', volume: 0, at: 'tick' },
  { kind: 'write', volume: 0, block: 2, blocks: 3, content: { seed: 1 } },
  { kind: 'advance', ns: NS },
  { kind: 'revert', volume: 0, range: 1, at: 1 },
  { kind: 'revert', volume: 0, range: 0, at: 0 },
  { kind: 'revert', volume: 0, range: 0, at: 0.5 },
  { kind: 'view', volume: 0, range: 0, at: 0.5 },
  { kind: 'view', volume: 0, range: 0, at: 0.5 },
  { kind: 'disable', volume: 0, pause: 2n * NS },
  { kind: 'enable', volume: 0 },
  { kind: 'write', volume: 0, block: 0, blocks: 1, content: { fill: 3 } },
  { kind: 'advance', ns: NS },
  { kind: 'badPoint', volume: 0, at: 'gap', range: 0, by: 'revert' },
  { kind: 'badPoint', volume: 0, at: 'beforeOldest', range: 0, by: 'view' },
  { kind: 'badPoint', volume: 0, at: 'afterNow', range: 1, by: 'revert' },
  { kind: 'clean', volume: 0, segment: 0 },
  { kind: 'edit', volume: 0, capacity: 5n * KIB4, duration: 60n, priority: 'mid' },
  { kind: 'fillToCapacity', volume: 0, past: 0, content: { fill: 1 } },
  { kind: 'fillToCapacity', volume: 0, past: 1, content: { fill: 2 } },
  { kind: 'boundary', volume: 0, at: 'cutAtOldest' },
  { kind: 'boundary', volume: 0, at: 'cutPastOldest' },
  { kind: 'clean', volume: 0, segment: 1 },
  { kind: 'view', volume: 0, range: 0, at: 0 },
  { kind: 'write', volume: 0, block: 4, blocks: 3, content: { fill: 3 } },
  { kind: 'boundary', volume: 0, at: 'longJump' },
  { kind: 'view', volume: 0, range: 0, at: 0 },
  { kind: 'disable', volume: 0, pause: 0n },
  { kind: 'cleanAll', volume: 0 }
]
