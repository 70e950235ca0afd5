// Generated histories against the simulator and the independent reference model
// (cdp-model.ts): after every step, on both sides, the simulator holds exactly what the model
// says and nothing else — the clock; the live image; the recoverable ranges; every segment's
// seq, use and snapshots; the image at each range's ends, around each change and at the
// duration cut; refusals just outside the ranges (before the oldest snapshot, in the CDP-off
// gap after a closed segment, after now); outcomes of every call. Images are compared with
// digests computed by the test from the bytes it wrote (content.ts). The test prints how many
// of each command and boundary ran, and fails if one never did.
//
// MODEL_SEED=<n> replays a run (the seed is in the test's name); MODEL_RUNS sets how many histories.
// Longer than 300 lines on purpose: the comparison after every step is one list of checks,
// each against the model; the histories are history.ts, the model cdp-model.ts.
import assert from 'node:assert/strict'
import t from 'tap'
import fc from 'fast-check'
import type { BatchOutcome, VolumeRef } from '../../../src/backend/port.js'
import { type Simulator, type Topology, openSimulator } from '../../../simulator/index.js'
import { type Content, type Image, digestOf, writesFor } from './content.js'
import { CdpModel, NS, type Point, type VolumeModel } from './cdp-model.js'
import { BLOCKS, type Boundary, type Command, EVERY_KIND, type Fill, VOLUMES, history, pick } from './history.js'

const KIB4 = 4096
const SNAPSHOT_INTERVAL_S = 5n
const SEGMENT_BLOCKS = 3n
const START = 1_700_000_000n * NS
/** Changes whose times every check judges; older ones were judged when they were recent. */
const RECENT_CHANGES = 6
const CLUSTER = 'c1000000-0000-4000-8000-000000000000'
const TENANT = 'a1000000-0000-4000-8000-000000000000'
const NAMESPACE = 'e1000000-0000-4000-8000-000000000000'
const VOLUME_UUIDS = Array.from({ length: VOLUMES }, (_, i) => `d1000000-0000-4000-8000-00000000000${i}`)

const topology: Topology = {
  clusters: [{
    uuid: CLUSTER,
    name: 'model',
    mode: '',
    namespaces: [{ uuid: NAMESPACE }],
    hosts: [{ uuid: 'b1000000-0000-4000-8000-000000000001', maddr: '127.0.0.1', cdp_disks: [{ path: '/dev/sdd', capacity: 2 ** 40 }] }]
  }],
  tenants: [{ uuid: TENANT, name: 'model' }],
  vms: [],
  volumes: VOLUME_UUIDS.map((uuid, i) => ({ uuid, name: `vol-${i}`, size: BLOCKS * KIB4, cluster: CLUSTER, namespace: NAMESPACE, tenant: TENANT }))
}

/** What ran, by name: every one must come up in a run of the test. */
const EXERCISED = [
  'write', 'write at an instant already used', 'use exactly at reserve_capacity', 'use one block past reserve_capacity',
  'advance', 'cut exactly at the oldest snapshot', 'cut 1 ns past the oldest snapshot', 'advance to a tick', 'advance to 1 ns before a tick',
  'long jump over many ticks', 'enable', 'disable', 'edit', 'edit that folds history', 'revert', 'revert at a range\'s start',
  'revert at a range\'s end', 'undo of a revert', 'view', 'view off', 'use past reserve_capacity under a view', 'view kept past its point\'s retention', 'gap point refused', 'point before the oldest snapshot refused',
  'point after now refused', 'clean of a segment', 'clean refused', 'clean of the whole CDP', 'segment rolled'
] as const
type Exercised = typeof EXERCISED[number]

function toFill (fill: Fill, block: number): Content {
  return 'fill' in fill ? fill : { seed: fill.seed, block }
}

function outcomeOf (results: BatchOutcome[]): string {
  const [result] = results
  return result === undefined ? 'no result' : result.ok ? 'ok' : result.error.code
}

async function failure (fn: () => unknown): Promise<string> {
  try {
    await fn()
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
  return 'ok'
}

class Run {
  readonly sim: Simulator
  /** Set after a clean: the next check judges the time of every change, not only the recent ones. */
  private everyChange = false
  readonly model = new CdpModel(START, VOLUMES, SNAPSHOT_INTERVAL_S * NS, SEGMENT_BLOCKS * BigInt(KIB4))

  constructor (readonly counts: Map<string, number>) {
    this.sim = openSimulator({
      db: ':memory:',
      topology,
      clock: { mode: 'manual', start: START },
      snapshotIntervalSeconds: Number(SNAPSHOT_INTERVAL_S),
      segmentCapacity: SEGMENT_BLOCKS * BigInt(KIB4)
    })
  }

  private ran (what: Exercised): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1)
  }

  private ref (volume: number): VolumeRef {
    return { cluster_uuid: CLUSTER, volume_uuid: VOLUME_UUIDS[volume] as string }
  }

  private advance (by: bigint): void {
    if (by <= 0n) return
    this.sim.advance(by)
    this.model.advance(by)
  }

  async step (cmd: Command): Promise<void> {
    if (cmd.kind === 'advance') {
      this.advance(cmd.ns)
      this.ran('advance')
      return
    }
    const v = this.model.volume(cmd.volume)
    const ref = this.ref(cmd.volume)
    const uuid = ref.volume_uuid
    switch (cmd.kind) {
      case 'write':
      case 'fillToCapacity': {
        const first = cmd.kind === 'write' ? cmd.block : 0
        // Blocks that bring use exactly to reserve_capacity (or one past it), as the journal stands when it is written.
        const toCapacity = (): number => v.cdp?.on === true ? Number((v.cdp.policy.capacity - v.use()) / BigInt(KIB4)) + (cmd.kind === 'fillToCapacity' ? cmd.past : 0) : 0
        const count = (): number => cmd.kind === 'write' ? Math.min(cmd.blocks, BLOCKS - cmd.block) : toCapacity()
        // Filling to the capacity boundary is judged at the ns the write lands on: a 1 ns step
        // of its own could move the duration cut and fold the journal first.
        if (cmd.kind === 'fillToCapacity' && v.wouldCollide()) this.advance(1n)
        if (cmd.kind === 'fillToCapacity' && (count() < 1 || count() > BLOCKS)) return
        if (v.wouldCollide()) this.ran('write at an instant already used')
        const blocks = new Map<number, Content>()
        for (let b = first, end = first + count(); b < end; b++) blocks.set(b, toFill(cmd.content, b))
        const segmentsBefore = v.segments().length
        const { time } = this.sim.write(uuid, writesFor(first, [...blocks.values()]))
        assert.equal(time, v.write(blocks), 'the write lands at the ns the model says')
        this.ran('write')
        if (v.segments().length > segmentsBefore && v.cdp?.on === true) this.ran('segment rolled')
        if (cmd.kind === 'fillToCapacity' && v.cdp !== undefined && v.cdp.policy.capacity % BigInt(KIB4) === 0n) {
          if (cmd.past === 0) {
            assert.equal(v.use(), v.cdp.policy.capacity, 'the model filled the journal exactly')
            this.ran('use exactly at reserve_capacity')
          } else {
            this.ran('use one block past reserve_capacity')
          }
        }
        return
      }
      case 'boundary':
        this.boundary(v, cmd.at)
        return
      case 'enable': {
        assert.equal(outcomeOf(await this.sim.enable([ref])), v.enable(), 'enable')
        this.ran('enable')
        return
      }
      case 'disable': {
        assert.equal(outcomeOf(await this.sim.disable([ref])), v.disable(), 'disable')
        this.ran('disable')
        this.advance(cmd.pause)
        return
      }
      case 'edit': {
        const usedBefore = v.use()
        const expected = v.edit({ capacity: cmd.capacity, duration: cmd.duration, priority: cmd.priority })
        const answer = outcomeOf(await this.sim.edit({ cdp_priority: cmd.priority, reserve_capacity: cmd.capacity, reserve_duration: cmd.duration }, [ref]))
        // The refusal's scode is the simulator's to name (issue 13); that it refuses, and changes nothing, is the rule.
        if (expected === 'INVALID_POLICY') assert.notEqual(answer, 'ok', `edit to ${cmd.capacity} bytes, ${cmd.duration} s is refused`)
        else assert.equal(answer, expected, 'edit')
        this.ran('edit')
        if (v.use() < usedBefore) this.ran('edit that folds history')
        return
      }
      case 'cleanAll': {
        const expected = v.cleanAll()
        assert.equal(await failure(() => this.sim.clean(ref)), expected, 'clean of the whole CDP')
        if (expected === 'ok') this.ran('clean of the whole CDP')
        return
      }
      case 'clean': {
        const segment = pick(v.segments(), cmd.segment)
        if (segment === undefined) return
        const expected = v.cleanSegment(segment.seq)
        assert.equal(await failure(() => this.sim.clean(ref, segment.seq)), expected, `clean usd_seq ${segment.seq}`)
        this.ran(expected === 'ok' ? 'clean of a segment' : 'clean refused')
        this.everyChange = true
        return
      }
      case 'revert':
      case 'view': {
        const range = pick(v.ranges(), cmd.range)
        if (range === undefined) return
        const time = range.from + BigInt(Math.floor(Number(range.to - range.from) * cmd.at))
        const at = time > range.to ? range.to : time
        const point = { snapshot: v.baseSnapshot(at, range.seq) as string, time: at }
        if (cmd.kind === 'view') await this.view(v, ref, point)
        else await this.revert(v, ref, point, at === range.from ? 'revert at a range\'s start' : at === range.to ? 'revert at a range\'s end' : undefined)
        return
      }
      case 'badPoint':
        await this.badPoint(v, ref, cmd)
    }
  }

  private boundary (v: VolumeModel, at: Boundary): void {
    const cdp = v.cdp
    if (cdp === undefined) return
    const oldest = v.ranges().map((r) => r.from).sort((a, b) => a < b ? -1 : 1)[0]
    const duration = cdp.policy.duration * NS
    const now = this.model.now
    if ((at === 'cutAtOldest' || at === 'cutPastOldest') && oldest !== undefined) {
      const by = oldest + duration - now + (at === 'cutPastOldest' ? 1n : 0n)
      if (by <= 0n) return
      this.advance(by)
      const kept = v.segments().some((s) => s.snapshots.includes(oldest))
      assert.equal(kept, at === 'cutAtOldest', 'the model keeps a snapshot exactly at the cut, and drops it 1 ns later')
      this.ran(at === 'cutAtOldest' ? 'cut exactly at the oldest snapshot' : 'cut 1 ns past the oldest snapshot')
    } else if ((at === 'tick' || at === 'beforeTick') && cdp.nextTick !== null) {
      const by = cdp.nextTick - now - (at === 'beforeTick' ? 1n : 0n)
      if (by <= 0n) return
      this.advance(by)
      this.ran(at === 'tick' ? 'advance to a tick' : 'advance to 1 ns before a tick')
    } else if (at === 'longJump') {
      this.advance(duration * 7n + SNAPSHOT_INTERVAL_S * NS * 3n + 1n)
      this.ran('long jump over many ticks')
    }
  }

  private async view (v: VolumeModel, ref: VolumeRef, point: Point): Promise<void> {
    const uuid = ref.volume_uuid
    if (v.view !== undefined) {
      assert.equal(await failure(() => this.sim.viewOff(ref)), v.viewOff(), 'view off')
      this.ran('view off')
      return
    }
    const expected = v.viewOn(point)
    assert.equal(await failure(() => this.sim.viewOn(ref, { snapshot_name: point.snapshot, timestamp: point.time })), expected, `view on at ${point.time}`)
    const shown = v.view as { image: Image } | undefined
    if (expected !== 'ok' || shown === undefined) return
    this.ran('view')
    assert.equal(this.sim.viewImage(uuid).digest, digestOf(shown.image), 'the view exposes the image at its point')
    assert.equal((await this.sim.info(ref)).host_uuid !== '', true, 'info names the view\'s host')
    const before = this.sim.image(uuid).digest
    assert.equal(await failure(() => this.sim.revert(ref, { snapshot_name: point.snapshot, timestamp: point.time })), v.revert(point), 'revert while a view is on')
    assert.equal(this.sim.image(uuid).digest, before, 'a refused revert changes nothing')
  }

  private async revert (v: VolumeModel, ref: VolumeRef, point: Point, boundary?: Exercised): Promise<void> {
    const uuid = ref.volume_uuid
    const expected = v.revert(point)
    assert.equal(await failure(() => this.sim.revert(ref, { snapshot_name: point.snapshot, timestamp: point.time })), expected, `revert to ${point.time}`)
    if (expected !== 'ok') return
    this.ran('revert')
    if (boundary !== undefined) this.ran(boundary)
    assert.equal(this.sim.image(uuid).digest, digestOf(v.imageAt(point.time)), 'after a revert the live image is the image at its point')
    // Undo: the moment before the revert is a point of its own, so reverting to it restores what was there.
    const revertedAt = v.lastChange as bigint
    const before = revertedAt - 1n
    const range = v.rangesHolding(before).at(-1)
    if (range === undefined) return
    const undo = { snapshot: v.baseSnapshot(before, range.seq) as string, time: before }
    assert.equal(await failure(() => this.sim.revert(ref, { snapshot_name: undo.snapshot, timestamp: undo.time })), v.revert(undo), 'undo of a revert')
    assert.equal(this.sim.image(uuid).digest, digestOf(v.imageAt(before)), 'reverting to the moment before a revert restores what was there')
    this.ran('undo of a revert')
  }

  /** A point the model says is not recoverable, named as a careless client would: view and revert refuse it. */
  private async badPoint (v: VolumeModel, ref: VolumeRef, cmd: Extract<Command, { kind: 'badPoint' }>): Promise<void> {
    // A gap point is looked for only after ranges that have one (a CDP-off gap after a closed segment).
    const ranges = v.ranges().filter((r) => cmd.at !== 'gap' || (r.to < this.model.now && v.rangesHolding(r.to + 1n).length === 0))
    const range = pick(ranges, cmd.range)
    if (range === undefined) return
    const snapshot = v.baseSnapshot(range.to, range.seq) as string
    let time: bigint
    let what: Exercised
    if (cmd.at === 'gap') {
      time = range.to + 1n
      what = 'gap point refused'
    } else if (cmd.at === 'beforeOldest') {
      time = range.from - 1n
      what = 'point before the oldest snapshot refused'
    } else {
      time = this.model.now + 1n
      what = 'point after now refused'
    }
    if (v.rangesHolding(time).length > 0) return
    const point = { snapshot, time }
    const live = this.sim.image(ref.volume_uuid).digest
    const expected = cmd.by === 'view' ? v.viewOn(point) : v.revert(point)
    assert.notEqual(expected, 'ok', `the model refuses ${time}`)
    const answer = await failure(() => cmd.by === 'view'
      ? this.sim.viewOn(ref, { snapshot_name: point.snapshot, timestamp: point.time })
      : this.sim.revert(ref, { snapshot_name: point.snapshot, timestamp: point.time }))
    assert.equal(answer, expected, `${cmd.by} at ${time} (${cmd.at})`)
    assert.equal(this.sim.image(ref.volume_uuid).digest, live, 'a refused point changes nothing')
    this.ran(what)
  }

  /** Both sides of every rule, for every volume. */
  async check (): Promise<void> {
    const now = this.model.now
    assert.equal(this.sim.clock().now, now, 'the clock')
    for (const [index, v] of this.model.volumes.entries()) {
      const ref = this.ref(index)
      const uuid = ref.volume_uuid
      assert.equal(this.sim.image(uuid).digest, digestOf(v.live()), `live image of volume ${index}`)
      const cdp = v.cdp
      if (cdp === undefined) {
        assert.equal(await failure(() => this.sim.info(ref)), 'CDP_NOT_FOUND', 'no CDP, no info')
        continue
      }
      const ranges = v.ranges()
      assert.deepEqual(this.sim.recoverable(uuid).ranges, ranges, `recoverable ranges of volume ${index}`)
      // The protection window (a CdpBackend operation) against the model: its ranges, totals,
      // and gaps that hold no recoverable time.
      const window = await this.sim.window(ref)
      assert.deepEqual(window.ranges, ranges, `window ranges of volume ${index}`)
      assert.equal(window.recoverable_seconds, ranges.reduce((sum, r) => sum + r.to - r.from, 0n) / NS, `recoverable_seconds of volume ${index}`)
      assert.equal(window.configured_seconds, cdp.policy.duration, 'configured_seconds is reserve_duration')
      const oldest = ranges.reduce<bigint | null>((min, r) => min === null || r.from < min ? r.from : min, null)
      assert.equal(window.actual_seconds, oldest === null ? 0n : (now - oldest) / NS, `actual_seconds of volume ${index}`)
      for (const gap of window.gaps) {
        assert.ok(gap.from <= gap.to && ranges.every((r) => r.to < gap.from || r.from > gap.to), `volume ${index}: gap ${gap.from}..${gap.to} (${gap.reason}) holds no recoverable time`)
      }
      const info = await this.sim.info(ref)
      assert.deepEqual(info.cdp_info.map((s) => ({ seq: s.seq, use: s.use, snaps: s.snaps.map((sn) => sn.time) })),
        v.segments().map((s) => ({ seq: s.seq, use: v.use(s.seq), snaps: s.snapshots })), `segments of volume ${index}`)
      assert.ok(info.cdp_info.every((s) => s.snaps.every((sn) => sn.name === `CDP-auto-${sn.time / NS}`)), 'snapshot names carry their second')
      if (v.view === undefined) assert.ok(v.use() <= cdp.policy.capacity, 'the model keeps use within reserve_capacity')
      else this.pinned(v)
      for (const s of info.cdp_info) {
        assert.ok(s.use === 0n ? s.ioStartTime === 0n && s.ioLastTime === 0n : s.startTime <= s.ioStartTime && s.ioStartTime <= s.ioLastTime, `io times of usd_seq ${s.seq}`)
      }
      const cut = now - cdp.policy.duration * NS
      for (const time of this.samples(v, cut)) {
        if (v.rangesHolding(time).length > 0) {
          assert.equal(this.sim.image(uuid, time).digest, digestOf(v.imageAt(time)), `image of volume ${index} at ${time}`)
        } else if (time >= 0n) {
          assert.equal(await failure(() => this.sim.image(uuid, time)), 'POINT_NOT_RECOVERABLE', `volume ${index} at ${time} is not recoverable`)
        }
      }
      if (v.view !== undefined) assert.equal(this.sim.viewImage(uuid).digest, digestOf(v.view.image), 'a view keeps its image')
    }
    this.everyChange = false
  }

  /** Counts what a view's pin held that retention would otherwise have let go. */
  private pinned (v: VolumeModel): void {
    const view = v.view as { time: bigint }
    if (v.use() > (v.cdp?.policy.capacity ?? 0n)) this.ran('use past reserve_capacity under a view')
    if (v.rangesHolding(view.time).length === 0) this.ran('view kept past its point\'s retention')
  }

  /**
   * Times to judge: each range's ends and 1 ns either side, the cut and 1 ns either side, now
   * and 1 ns after, and each recent change and 1 ns before it (every change after a clean).
   */
  private samples (v: VolumeModel, cut: bigint): bigint[] {
    const times = new Set<bigint>([cut - 1n, cut, cut + 1n, this.model.now, this.model.now + 1n])
    for (const r of v.ranges()) for (const time of [r.from - 1n, r.from, r.to, r.to + 1n, (r.from + r.to) / 2n]) times.add(time)
    for (const change of this.everyChange ? v.changes : v.changes.slice(-RECENT_CHANGES)) for (const time of [change.time - 1n, change.time]) times.add(time)
    return [...times]
  }
}

const seed = Number(process.env.MODEL_SEED ?? Math.floor(Math.random() * 2 ** 31))
const numRuns = Number(process.env.MODEL_RUNS ?? 25)
// Printed before the histories run: a run that times out still names the seed to replay.
t.comment(`MODEL_SEED=${seed} replays this run`)

/** Further batches of histories (seeds seed+1, seed+2, …) while a kind of command is still missing. */
const MAX_BATCHES = 4

t.test(`generated histories: the simulator holds exactly what the reference model says (seed ${seed}, MODEL_SEED=${seed} replays)`, async (t) => {
  const counts = new Map<string, number>()
  const missing = (): string[] => EXERCISED.filter((what) => (counts.get(what) ?? 0) === 0)
  // Every batch starts with EVERY_KIND, a written history that runs each kind; the next batch,
  // drawn from the next seed, runs only if a kind still did not (a simulator refusing it).
  for (let batch = 0; batch < MAX_BATCHES && (batch === 0 || missing().length > 0); batch++) {
    await t.resolves(fc.assert(fc.asyncProperty(history, async (commands) => {
      const run = new Run(counts)
      try {
        for (const [i, cmd] of commands.entries()) {
          try {
            await run.step(cmd)
            await run.check()
          } catch (err) {
            throw new Error(`step ${i} ${JSON.stringify(cmd, (_, value: unknown) => typeof value === 'bigint' ? `${value}n` : value)}: ${(err as Error).message}`, { cause: err })
          }
        }
      } finally {
        await run.sim.close()
      }
    }), { seed: seed + batch, numRuns, examples: [[EVERY_KIND]] }), `batch ${batch} (fast-check seed ${seed + batch})`)
  }
  t.comment(`ran: ${EXERCISED.map((what) => `${what} ${counts.get(what) ?? 0}`).join(', ')}`)
  for (const what of EXERCISED) t.ok((counts.get(what) ?? 0) > 0, `histories exercised: ${what}`)
})
