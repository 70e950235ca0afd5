// Property: the protection window tells the truth. After any history of writes, time, CDP
// off and on, hosts going down and up and segments cleaned, the simulator accepts a view at
// every time inside a range (its edges and middle) and at none inside a gap, whatever base
// snapshot is named; and the events name every enable and disable of that history, in order.
import t from 'tap'
import fc from 'fast-check'
import type { Simulator } from '../../simulator/index.js'
import { openDemo, policy, ref, writeBlock } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'

type Step =
  | { kind: 'write', block: number, fill: number }
  | { kind: 'advance', seconds: number }
  | { kind: 'toggleCdp' }
  | { kind: 'toggleHosts' }
  | { kind: 'cleanOldest' }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), block: fc.integer({ min: 0, max: 5 }), fill: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 150 }) }),
  fc.constant({ kind: 'toggleCdp' as const }),
  fc.constant({ kind: 'toggleHosts' as const }),
  fc.constant({ kind: 'cleanOldest' as const })
)

const VOLUME = ref(DEMO.cdp1)

async function play (sim: Simulator, steps: Step[]): Promise<Array<'enabled' | 'disabled'>> {
  const toggles: Array<'enabled' | 'disabled'> = ['enabled']
  let on = true
  let hostsUp = true
  for (const s of steps) {
    if (s.kind === 'write') writeBlock(sim, DEMO.cdp1, s.block, s.fill)
    else if (s.kind === 'advance') sim.advance(BigInt(s.seconds) * NS_PER_SECOND)
    else if (s.kind === 'toggleCdp') {
      await (on ? sim.disable([VOLUME]) : sim.enable([VOLUME]))
      toggles.push(on ? 'disabled' : 'enabled')
      on = !on
    } else if (s.kind === 'toggleHosts') {
      hostsUp = !hostsUp
      for (const host of [DEMO.host1, DEMO.host2]) sim.setHostOnline(host, hostsUp)
    } else {
      const closed = (await sim.info(VOLUME)).cdp_info.slice(0, -1)[0] ??
        (on ? undefined : (await sim.info(VOLUME)).cdp_info[0])
      if (closed !== undefined) await sim.clean(VOLUME, closed.seq)
    }
  }
  for (const host of [DEMO.host1, DEMO.host2]) sim.setHostOnline(host, true)
  // Hosts back: their segments count again, and the check below sees every kind of gap but offline.
  return toggles
}

/** Whether some snapshot of the volume at or before `at` makes a view at `at` that the simulator accepts. */
async function viewable (sim: Simulator, at: bigint): Promise<boolean> {
  const snaps = (await sim.info(VOLUME)).cdp_info.flatMap((segment) => segment.snaps).filter((snap) => snap.time <= at)
  for (const snap of snaps) {
    try {
      await sim.viewOn(VOLUME, { snapshot_name: snap.name, timestamp: at })
    } catch {
      continue
    }
    await sim.viewOff(VOLUME)
    return true
  }
  return false
}

t.test('every time in a range takes a view, no time in a gap does; events name each enable and disable', async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
    const sim = openDemo(t, { snapshotIntervalSeconds: 60, segmentCapacity: BigInt(3 * BLOCK_SIZE) })
    await sim.edit(policy(BigInt(8 * BLOCK_SIZE), 86400n), [VOLUME])
    await sim.enable([VOLUME])
    const toggles = await play(sim, steps)
    const window = await sim.window(VOLUME)
    for (const range of window.ranges) {
      for (const at of [range.from, (range.from + range.to) / 2n, range.to]) {
        if (!await viewable(sim, at)) throw new Error(`${at} in range ${range.from}..${range.to} took no view`)
      }
    }
    for (const gap of window.gaps) {
      for (const at of [gap.from, (gap.from + gap.to) / 2n, gap.to]) {
        if (await viewable(sim, at)) throw new Error(`${at} in a ${gap.reason} gap ${gap.from}..${gap.to} took a view`)
      }
    }
    const { events } = await sim.events(VOLUME, { page_num: 0, page_size: 0 })
    t.same(events.filter((e) => e.kind === 'enabled' || e.kind === 'disabled').map((e) => e.kind), toggles)
    await sim.close()
  }), { numRuns: 40 })
})
