// One ns per change: every acknowledged change (write, revert, enable, disable, view) gets a
// time of its own on its volume's timeline, so every point a call produced stays
// recoverable and every revert can be undone by reverting to the ns before it. Histories
// here put many calls at one instant on purpose.
import t from 'tap'
import fc from 'fast-check'
import type { Simulator } from '../../simulator/index.js'
import { advanceSeconds, failure, openDemo, pointAt, ref, writeBlock } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'

type Step =
  | { op: 'write', block: number, fill: number }
  | { op: 'revert', back: number }
  | { op: 'view' }
  | { op: 'toggle' }
  | { op: 'advance', ns: bigint }

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('write' as const), block: fc.integer({ min: 0, max: 3 }), fill: fc.integer({ min: 1, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('revert' as const), back: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ op: 'view' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'toggle' as const }) },
  // Mostly no move at all: the calls pile up on one instant.
  { weight: 1, arbitrary: fc.record({ op: fc.constant('advance' as const), ns: fc.constantFrom(1n, 1000n, NS_PER_SECOND) }) }
)

interface Point { time: bigint, digest: string }

/** Runs a history and checks, after every step, the timeline's rules; returns the points it produced. */
async function run (sim: Simulator, steps: Step[]): Promise<Point[]> {
  const volume = ref(DEMO.cdp1)
  await sim.enable([volume])
  let last = sim.clock().now
  const points: Point[] = [{ time: last, digest: sim.image(DEMO.cdp1).digest }]
  let on = true
  let viewing = false
  const changed = (time: bigint): void => {
    if (time <= last) throw new Error(`a change at ${time}, not after the last one at ${last}`)
    if (sim.clock().now < time) throw new Error(`now ${sim.clock().now} is before the change at ${time}`)
    last = time
    if (on) points.push({ time, digest: sim.image(DEMO.cdp1).digest })
  }
  for (const s of steps) {
    if (s.op === 'advance') {
      sim.advance(s.ns)
    } else if (s.op === 'write') {
      changed(writeBlock(sim, DEMO.cdp1, s.block, s.fill))
    } else if (s.op === 'view') {
      if (viewing) await sim.viewOff(volume)
      else await sim.viewOn(volume, await pointAt(sim, volume, points.at(-1)?.time ?? 0n))
      viewing = !viewing
      changed(sim.clock().now)
    } else if (s.op === 'toggle') {
      // Off and on again in one instant: the new segment is recoverable from its start.
      await (on ? sim.disable([volume]) : sim.enable([volume]))
      if (on) changed(sim.clock().now)
      on = !on
      if (on) changed(sim.clock().now)
    } else if (on && !viewing && points.length > 0) {
      const target = points[s.back % points.length] as Point
      const before = sim.image(DEMO.cdp1).digest
      await sim.revert(volume, await pointAt(sim, volume, target.time))
      changed(sim.clock().now)
      if (sim.image(DEMO.cdp1).digest !== target.digest) throw new Error(`the revert to ${target.time} did not restore its image`)
      const undoAt = sim.clock().now - 1n
      await sim.revert(volume, await pointAt(sim, volume, undoAt))
      changed(sim.clock().now)
      if (sim.image(DEMO.cdp1).digest !== before) throw new Error(`reverting to ${undoAt} did not undo the revert`)
    }
  }
  return points
}

t.test('every point an acknowledged call produced stays recoverable with its image, and every revert undoes', async (t) => {
  await t.resolves(fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
    const sim = openDemo(t)
    try {
      const points = await run(sim, steps)
      for (const point of points) {
        if (sim.image(DEMO.cdp1, point.time).digest !== point.digest) throw new Error(`the image at ${point.time} changed`)
      }
    } finally {
      await sim.close()
    }
  }), { numRuns: 150 }))
})

t.test('on a manual clock a write in the ns of a revert steps the clock 1 ns forward first', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const written = writeBlock(sim, DEMO.cdp1, 0, 1)
  t.equal(written, sim.clock().now, 'no step needed: the enable was a second before')
  const beforeRevert = sim.image(DEMO.cdp1).digest
  await sim.revert(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), written - 1n))
  t.equal(sim.clock().now, written + 1n, 'the revert has the next ns')
  t.equal(sim.image(DEMO.cdp1, written).digest, beforeRevert, 'the point before the revert is still there')
  t.equal(writeBlock(sim, DEMO.cdp1, 1, 2), written + 2n)
})

t.test('a write in the ns of a view on is not part of the view\'s point', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const at = sim.clock().now
  await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), at))
  const exposed = sim.viewImage(DEMO.cdp1).digest
  const written = writeBlock(sim, DEMO.cdp1, 0, 9)
  t.ok(written > at, 'the write has a later ns')
  t.equal(sim.image(DEMO.cdp1, at).digest, exposed)
})

t.test('a refused change does not move the clock', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const now = sim.clock().now
  const point = await pointAt(sim, ref(DEMO.cdp1), now)
  await sim.viewOn(ref(DEMO.cdp1), point)
  const viewedAt = sim.clock().now
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), point)), 'VIEW_ALREADY_ON')
  t.equal(await failure(() => sim.revert(ref(DEMO.cdp1), point)), 'VIEW_IS_ON')
  t.equal(sim.clock().now, viewedAt)
})

t.test('a point after the now a call found is refused, though the call\'s own 1 ns step would reach it (one volume or a group)', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const now = sim.clock().now
  const point = await pointAt(sim, ref(DEMO.cdp1), now)
  const ahead = { ...point, timestamp: now + 1n }
  t.equal(await failure(() => sim.revert(ref(DEMO.cdp1), ahead)), 'POINT_NOT_RECOVERABLE', 'revert')
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), ahead)), 'POINT_NOT_RECOVERABLE', 'view')
  for (const group of [await sim.groupRevert([ref(DEMO.cdp1)], now + 1n), await sim.groupViewOn([ref(DEMO.cdp1)], now + 1n)]) {
    t.same(group.outcomes.map((o) => o.ok ? 'ok' : o.error.code), ['POINT_NOT_RECOVERABLE'], 'group revert and group view')
  }
  t.equal(sim.clock().now, now, 'none moved the clock')
})
