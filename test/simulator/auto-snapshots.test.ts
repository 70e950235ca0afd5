// Auto snapshots: every interval while CDP is on, none while off, at most one a second.
import t from 'tap'
import {
  CDP_1, NS_PER_S, advanceSeconds, openDemo, policy, ref
} from '../helpers/simulator.js'

t.test('auto snapshots come every interval while CDP is on', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  const start = sim.clock().now
  await sim.enable([ref(CDP_1)])
  advanceSeconds(sim, 35)
  const [segment] = (await sim.info(ref(CDP_1))).cdp_info
  t.same(segment?.snaps.map((s) => s.time), [0n, 10n, 20n, 30n].map((s) => start + s * NS_PER_S))
  t.same(segment?.snaps.map((s) => s.name), [0n, 10n, 20n, 30n].map((s) => `CDP-auto-${start / NS_PER_S + s}`))
})

t.test('no auto snapshots while CDP is off', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.enable([ref(CDP_1)])
  await sim.disable([ref(CDP_1)])
  advanceSeconds(sim, 100)
  const [segment] = (await sim.info(ref(CDP_1))).cdp_info
  t.equal(segment?.snaps.length, 1)
})

t.test('auto snapshots: at most one a second, even for enable, disable, enable in one second', async (t) => {
  const sim = openDemo(t)
  const first = sim.advance(100_000_000n)
  await sim.enable([ref(CDP_1)])
  sim.advance(100_000_000n)
  await sim.disable([ref(CDP_1)])
  const reenabledAt = sim.advance(100_000_000n)
  await sim.enable([ref(CDP_1)])
  let segments = (await sim.info(ref(CDP_1))).cdp_info
  t.same(segments.map((s) => s.seq), [0n, 1n])
  t.same(segments[1]?.snaps, [], 'the new segment waits for the next second')
  t.match(segments[1], { startTime: reenabledAt })
  advanceSeconds(sim, 1)
  segments = (await sim.info(ref(CDP_1))).cdp_info
  const nextSecond = (first / NS_PER_S + 1n) * NS_PER_S
  t.same(segments[1]?.snaps, [{ name: `CDP-auto-${nextSecond / NS_PER_S}`, time: nextSecond }])
  const names = segments.flatMap((s) => s.snaps.map((sn) => sn.name))
  t.equal(new Set(names).size, names.length, 'names are unique')
})

t.test('auto snapshots after a long clock jump: the interval\'s ticks inside the window, none before it', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(CDP_1)])
  await sim.enable([ref(CDP_1)])
  const enabledAt = sim.clock().now
  const now = sim.advance(1003n * NS_PER_S)
  const ticks = [950n, 960n, 970n, 980n, 990n, 1000n].map((s) => enabledAt + s * NS_PER_S)
  t.same((await sim.info(ref(CDP_1))).cdp_info.flatMap((s) => s.snaps.map((sn) => sn.time)), ticks, 'ticks keep the cadence from the enable')
  t.same(sim.recoverable(CDP_1).ranges.map((r) => [r.from, r.to]), [[ticks[0], now]])
  sim.advance(7n * NS_PER_S)
  t.equal((await sim.info(ref(CDP_1))).cdp_info[0]?.snaps.at(-1)?.time, enabledAt + 1010n * NS_PER_S, 'and the next one comes on time')
})
