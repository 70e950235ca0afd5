// Property tests: random command sequences against the simulator and a naive reference model
// (reference.ts) that never folds anything. After every step: (1) every recoverable point's
// image is the reference's and the live image is the reference's; (2) journal use stays
// within reserve_capacity and nothing older than reserve_duration is recoverable; (3) a
// revert makes the image at its point live, and a later revert to before it undoes it; (4) a
// segment clean removes exactly its range and changes no other point's image.
import assert from 'node:assert/strict'
import t from 'tap'
import fc from 'fast-check'
import type { VolumeRef } from '../../src/backend/port.js'
import { type Simulator, type Topology, openSimulator } from '../../simulator/index.js'
import type { RecoverableRange } from '../../simulator/control.js'
import { BLOCK_SIZE, type BlockChange } from '../../simulator/content.js'
import { failure, outcomes, pointAt } from '../helpers/simulator.js'
import { ReferenceVolume, digestOf, fillToken, tokenOf } from './reference.js'

const NS = 1_000_000_000n
const BLOCKS = 8
const SEGMENT_BLOCKS = 3
const SNAPSHOT_INTERVAL_S = 5
const CLUSTER = 'c0000000-0000-4000-8000-000000000000'
const TENANT = 'a0000000-0000-4000-8000-000000000000'
const HOSTS = [
  { uuid: 'b0000000-0000-4000-8000-000000000001', maddr: '127.0.0.1' },
  { uuid: 'b0000000-0000-4000-8000-000000000002', maddr: '127.0.0.2' }
]
const VOLUMES = ['d0000000-0000-4000-8000-000000000000', 'd0000000-0000-4000-8000-000000000001']

/** Two small volumes (8 blocks each) so that random writes overlap often. */
const topology: Topology = {
  clusters: [{
    uuid: CLUSTER,
    name: 'property',
    mode: '',
    namespaces: [{ uuid: 'e0000000-0000-4000-8000-000000000000' }],
    hosts: HOSTS.map((h) => ({ ...h, cdp_disks: [{ path: '/dev/sdd', capacity: 2 ** 40 }] }))
  }],
  tenants: [{ uuid: TENANT, name: 'prop' }],
  vms: [],
  volumes: VOLUMES.map((uuid, i) => ({
    uuid, name: `vol-${i}`, size: BLOCKS * BLOCK_SIZE, cluster: CLUSTER, namespace: 'e0000000-0000-4000-8000-000000000000', tenant: TENANT
  }))
}

// ---------------------------------------------------------------- commands

type Content = { fill: number } | { seed: number }
type Command =
  | { kind: 'write', volume: number, block: number, blocks: number, content: Content }
  | { kind: 'advance', ns: bigint }
  | { kind: 'enable' | 'disable', volume: number }
  | { kind: 'edit', volume: number, capacity: bigint, duration: bigint }
  | { kind: 'revert' | 'revertAndUndo' | 'view', volume: number, range: number, at: number }
  | { kind: 'clean', volume: number, segment: number }

const volume = fc.integer({ min: 0, max: VOLUMES.length - 1 })
/** Where in a list or span to pick: the ends often, anywhere between too. */
const fraction = fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true }))
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      volume,
      block: fc.integer({ min: 0, max: BLOCKS - 1 }),
      blocks: fc.integer({ min: 1, max: 3 }),
      content: fc.oneof(fc.record({ fill: fc.integer({ min: 0, max: 3 }) }), fc.record({ seed: fc.integer({ min: 0, max: 3 }) }))
    })
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      ns: fc.constantFrom(1n, 1_000_000n, 400_000_000n, NS, 3n * NS, 5n * NS, 13n * NS, 40n * NS, 200n * NS)
    })
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('enable' as const, 'disable' as const), volume }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      volume,
      capacity: fc.constantFrom(...[1n, 2n, 3n, 5n, 8n, 12n].map((b) => b * BigInt(BLOCK_SIZE)), 6000n, 1n << 30n),
      duration: fc.constantFrom(1n, 5n, 20n, 60n, 3600n)
    })
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('revert' as const, 'revertAndUndo' as const, 'view' as const), volume, range: fraction, at: fraction }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clean' as const), volume, segment: fraction }) }
)

function pick<T> (items: T[], f: number): T | undefined {
  return items[Math.min(items.length - 1, Math.floor(f * items.length))]
}

/** Bytes that are not one repeated byte, so their token is a hash, different per seed and block. */
function dataFor (seed: number, blocks: number, firstBlock: number): Uint8Array {
  const data = new Uint8Array(blocks * BLOCK_SIZE)
  for (let i = 0; i < data.length; i++) data[i] = (seed * 7 + firstBlock * 13 + i * 31 + (i >> 12)) & 0xff
  return data
}

// ---------------------------------------------------------------- one run

interface VolumeState {
  ref: VolumeRef
  reference: ReferenceVolume
  policy?: { capacity: bigint, duration: bigint }
  view?: { seq: bigint, digest: string }
}

class Run {
  readonly sim: Simulator
  readonly volumes: VolumeState[]

  constructor () {
    this.sim = openSimulator({
      db: ':memory:',
      topology,
      clock: { mode: 'manual' },
      snapshotIntervalSeconds: SNAPSHOT_INTERVAL_S,
      segmentCapacity: BigInt(SEGMENT_BLOCKS * BLOCK_SIZE)
    })
    this.volumes = VOLUMES.map((uuid) => ({ ref: { cluster_uuid: CLUSTER, volume_uuid: uuid }, reference: new ReferenceVolume() }))
  }

  now (): bigint {
    return this.sim.clock().now
  }

  async step (cmd: Command): Promise<void> {
    if (cmd.kind === 'advance') {
      this.sim.advance(cmd.ns)
      return
    }
    const v = this.volumes[cmd.volume] as VolumeState
    const uuid = v.ref.volume_uuid
    switch (cmd.kind) {
      case 'write': {
        const blocks = Math.min(cmd.blocks, BLOCKS - cmd.block)
        const offset = cmd.block * BLOCK_SIZE
        const data = 'seed' in cmd.content ? dataFor(cmd.content.seed, blocks, cmd.block) : undefined
        const { time } = this.sim.write(uuid, [data === undefined
          ? { offset, length: blocks * BLOCK_SIZE, fill: (cmd.content as { fill: number }).fill }
          : { offset, data }])
        const changes: BlockChange[] = []
        for (let b = 0; b < blocks; b++) {
          const token = data === undefined ? fillToken((cmd.content as { fill: number }).fill) : tokenOf(data.subarray(b * BLOCK_SIZE, (b + 1) * BLOCK_SIZE))
          changes.push({ block: cmd.block + b, token })
        }
        v.reference.write(time, changes)
        return
      }
      case 'enable': {
        assert.deepEqual(outcomes(await this.sim.enable([v.ref])), ['ok'])
        v.policy ??= { capacity: 10n * 1024n ** 3n, duration: 86400n }
        v.reference.enable(this.now())
        return
      }
      case 'disable': {
        assert.deepEqual(outcomes(await this.sim.disable([v.ref])), [v.policy === undefined ? 'CDP_NOT_FOUND' : 'ok'])
        if (!v.reference.isOn()) return
        v.reference.disable(this.now())
        // The closed segment's last point is the disable's ns, as the journal saw it: a write
        // later in that same ns (possible only on a manual clock) would make "the image at
        // that ns" ambiguous, so time moves on first.
        this.sim.advance(1n)
        return
      }
      case 'edit': {
        assert.deepEqual(outcomes(await this.sim.edit({ cdp_priority: 'mid', reserve_capacity: cmd.capacity, reserve_duration: cmd.duration }, [v.ref])), ['ok'])
        v.policy = { capacity: cmd.capacity, duration: cmd.duration }
        return
      }
      case 'clean':
        await this.cleanSegment(v, cmd.segment)
        return
    }
    // For the undo, a point just before the revert: the clock moves so that it is a time of its own.
    const beforeRevert = this.now()
    if (cmd.kind === 'revertAndUndo') this.sim.advance(NS)
    const point = this.pickPoint(v, cmd.range, cmd.at)
    if (point === undefined) return
    if (cmd.kind === 'view') await this.toggleView(v, point)
    else await this.revert(v, point, cmd.kind === 'revertAndUndo' ? beforeRevert : undefined)
  }

  private pickPoint (v: VolumeState, rangeF: number, atF: number): { range: RecoverableRange, time: bigint } | undefined {
    if (v.policy === undefined) return undefined
    const range = pick(this.sim.recoverable(v.ref.volume_uuid).ranges, rangeF)
    if (range === undefined) return undefined
    const offset = BigInt(Math.floor(Number(range.to - range.from) * atF))
    return { range, time: range.from + offset > range.to ? range.to : range.from + offset }
  }

  private async toggleView (v: VolumeState, point: { range: RecoverableRange, time: bigint }): Promise<void> {
    if (v.view !== undefined) {
      await this.sim.viewOff(v.ref)
      v.view = undefined
      return
    }
    const { host_uuid: host } = await this.sim.viewOn(v.ref, await pointAt(this.sim, v.ref, point.time, point.range.seq))
    const segment = (await this.sim.info(v.ref)).cdp_info.find((s) => s.seq === point.range.seq)
    assert.equal(host, HOSTS.find((h) => h.maddr === segment?.usd_maddr)?.uuid, 'the view is on the host of its segment')
    const digest = digestOf(v.reference.imageAt(point.time))
    assert.equal(this.sim.viewImage(v.ref.volume_uuid).digest, digest, 'the view exposes the image at its point')
    v.view = { seq: point.range.seq, digest }
  }

  private async revert (v: VolumeState, point: { range: RecoverableRange, time: bigint }, undoTo?: bigint): Promise<void> {
    const uuid = v.ref.volume_uuid
    const target = await pointAt(this.sim, v.ref, point.time, point.range.seq)
    if (v.view !== undefined) {
      const before = this.sim.image(uuid).digest
      assert.equal(await failure(() => this.sim.revert(v.ref, target)), 'VIEW_IS_ON')
      assert.equal(this.sim.image(uuid).digest, before, 'a refused revert changes nothing')
      return
    }
    await this.sim.revert(v.ref, target)
    v.reference.revert(this.now(), point.time)
    assert.equal(this.sim.image(uuid).digest, digestOf(v.reference.imageAt(point.time)), 'after a revert the image is the image at its point')
    if (undoTo === undefined || !this.sim.recoverable(uuid).ranges.some((r) => r.from <= undoTo && undoTo <= r.to)) return
    await this.sim.revert(v.ref, await pointAt(this.sim, v.ref, undoTo))
    v.reference.revert(this.now(), undoTo)
    assert.equal(this.sim.image(uuid).digest, digestOf(v.reference.imageAt(undoTo)), 'reverting to before a revert restores what was there')
  }

  private async cleanSegment (v: VolumeState, segmentF: number): Promise<void> {
    if (v.policy === undefined) return
    const uuid = v.ref.volume_uuid
    const segments = (await this.sim.info(v.ref)).cdp_info
    const segment = pick(segments, segmentF)
    if (segment === undefined) return
    const active = v.reference.isOn() && segment.seq === segments.at(-1)?.seq
    const expected = active ? 'SEGMENT_ACTIVE' : v.view?.seq === segment.seq ? 'VIEW_IS_ON' : 'no error'
    const ranges = this.sim.recoverable(uuid).ranges
    const others = ranges.filter((r) => r.seq !== segment.seq)
    const imagesBefore = others.flatMap((r) => samples(r, v.reference)).map((time) => [time, this.sim.image(uuid, time).digest] as const)
    assert.equal(await failure(() => this.sim.clean(v.ref, segment.seq)), expected, `clean usd_seq ${segment.seq}`)
    assert.deepEqual(this.sim.recoverable(uuid).ranges, expected === 'no error' ? others : ranges, 'a clean removes exactly its segment\'s range')
    for (const [time, digest] of imagesBefore) {
      assert.equal(this.sim.image(uuid, time).digest, digest, `the image at ${time} outlives the clean`)
    }
  }

  /** The invariants that hold after every step. */
  async check (): Promise<void> {
    const now = this.now()
    for (const v of this.volumes) {
      const uuid = v.ref.volume_uuid
      assert.equal(this.sim.image(uuid).digest, digestOf(v.reference.current()), `live image of ${uuid}`)
      if (v.policy === undefined) continue
      const oldest = now - v.policy.duration * NS
      for (const range of this.sim.recoverable(uuid).ranges) {
        assert.ok(range.from >= oldest, `range ${range.from}..${range.to} starts before now − reserve_duration (${oldest})`)
        assert.ok(range.from <= range.to && range.to <= now, `range ${range.from}..${range.to} is in order and not after now`)
        assert.ok(v.reference.wasOnThroughout(range.from, range.to, now), `range ${range.from}..${range.to} lies where CDP was on`)
        for (const time of samples(range, v.reference)) {
          assert.equal(this.sim.image(uuid, time).digest, digestOf(v.reference.imageAt(time)), `image at ${time} (usd_seq ${range.seq})`)
        }
      }
      const use = (await this.sim.info(v.ref)).cdp_info.reduce((sum, s) => sum + s.use, 0n)
      assert.ok(use <= v.policy.capacity, `journal use ${use} exceeds reserve_capacity ${v.policy.capacity}`)
      if (v.view !== undefined) {
        // Against its image when exposed: later writes in that same ns (a manual clock's) do not reach it.
        assert.equal(this.sim.viewImage(uuid).digest, v.view.digest, 'a view keeps its image')
      }
    }
  }
}

/** Points to compare in a range: both ends, its middle, and around every write inside it. */
function samples (range: RecoverableRange, reference: ReferenceVolume): bigint[] {
  const times = new Set([range.from, range.to, (range.from + range.to) / 2n])
  for (const w of reference.writeTimes()) {
    for (const time of [w - 1n, w]) if (range.from <= time && time <= range.to) times.add(time)
  }
  return [...times]
}

t.test('random histories: the simulator agrees with the reference model after every step', async (t) => {
  // Most histories start with CDP on for each volume, so that most steps have points to check.
  const enabledFirst = fc.array(fc.constantFrom(true, true, false), { minLength: VOLUMES.length, maxLength: VOLUMES.length })
  const history = fc.tuple(enabledFirst, fc.array(command, { minLength: 1, maxLength: 60, size: 'max' }))
  await t.resolves(fc.assert(fc.asyncProperty(history, async ([enabled, steps]) => {
    const commands: Command[] = [
      ...enabled.flatMap((on, volume) => on ? [{ kind: 'enable' as const, volume }] : []),
      ...steps
    ]
    const run = new Run()
    try {
      for (const [i, cmd] of commands.entries()) {
        try {
          await run.step(cmd)
          await run.check()
        } catch (err) {
          throw new Error(`step ${i} (${cmd.kind}): ${(err as Error).message}`, { cause: err })
        }
      }
    } finally {
      await run.sim.close()
    }
  }), { numRuns: 500 }))
})
