// The info cache (simulator/info-cache.ts) is exactly right: over random histories in which
// this process and a second process (cdp-sim agent on the same file) change the volume, the
// clock and the hosts, a cached answer always equals the simulator's uncached one; an answer
// holds for every now before its valid-until; and the clock check drops it at that ns.
import { deepStrictEqual } from 'node:assert'
import { join } from 'node:path'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import { createAgentBackend } from '../../src/backend/agent/backend.js'
import type { CdpBackend, CdpInfo, Ns } from '../../src/backend/port.js'
import { MAX_TIME } from '../../simulator/clock.js'
import { dataVersionOf, InfoCache, type InfoEntry } from '../../simulator/info-cache.js'
import { openSimulator } from '../../simulator/index.js'
import { type Control, httpControl, inProcessControl } from '../src/backend/conformance/control.js'
import { startAgent, tempDir } from '../helpers/cdp-sim.js'
import { failure, openDemo, pointAt, policy, ref } from '../helpers/simulator.js'
import { DEMO, demoTopology } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'
import { NS_PER_SECOND } from '../../src/backend/port.js'

const SNAPSHOT_SECONDS = 2
const volume = ref(DEMO.cdp1)

/** One step of a history; `by` says which process takes it. */
type Step =
  | { op: 'write', by: 'here' | 'there', block: number, fill: number }
  | { op: 'advance', by: 'here' | 'there', ns: bigint }
  | { op: 'toggle', by: 'here' | 'there' }
  | { op: 'limit', by: 'here' | 'there', blocks: number, seconds: bigint }
  | { op: 'host', by: 'here' | 'there', online: boolean }
  | { op: 'view' | 'revert' | 'info' }

const by = fc.constantFrom('here' as const, 'there' as const)
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), by, block: fc.integer({ min: 0, max: 7 }), fill: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('advance' as const), by, ns: fc.constantFrom(1n, 700_000_000n, NS_PER_SECOND, 5n * NS_PER_SECOND) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('toggle' as const), by }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('limit' as const), by, blocks: fc.integer({ min: 2, max: 12 }), seconds: fc.constantFrom(3n, 10n, 1000n) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('host' as const), by, online: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('view' as const, 'revert' as const, 'info' as const) }) }
)

/** Runs random histories on `db` (a file: with a second process on it too), checking every cached info against the uncached one. */
async function cachedEqualsUncached (t: Test, db: string, numRuns: number): Promise<void> {
  const here = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' }, snapshotIntervalSeconds: SNAPSHOT_SECONDS })
  t.teardown(() => here.close())
  let there: { control: Control, backend: CdpBackend } | undefined
  if (db !== ':memory:') {
    const agent = await startAgent(t, ['--clock', 'manual', '--snapshot-interval', String(SNAPSHOT_SECONDS), '--topology', 'fixtures/demo-topology.json', '--db', db])
    const backend = createAgentBackend({ routes: [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }], timeoutMs: 30_000, retries: 0, concurrency: 1 })
    t.teardown(() => backend.close())
    there = { control: httpControl(agent.url), backend }
  }
  const version = dataVersionOf(db)
  t.teardown(() => { version.close() })
  // A manual clock moves only by a change, so the cache needs no clock of its own here.
  const cache = new InfoCache({ changes: () => here.changeCount(), dataVersion: version.read, now: () => undefined })
  let reads = 0
  let asked = 0
  const read = async (): Promise<InfoEntry> => { reads++; return await here.infoEntry(volume) }
  await here.enable([volume])
  let on = true
  const points: Ns[] = []
  const hereControl = inProcessControl(here)

  const take = async (s: Step): Promise<void> => {
    const remote = 'by' in s && s.by === 'there' ? there : undefined
    const backend = remote?.backend ?? here
    const control = remote?.control ?? hereControl
    if (s.op === 'write') points.push(await control.write(DEMO.cdp1, [{ offset: s.block * BLOCK_SIZE, length: BLOCK_SIZE, fill: s.fill }]))
    else if (s.op === 'advance') await control.advance(s.ns)
    else if (s.op === 'toggle') {
      await (on ? backend.disable([volume]) : backend.enable([volume]))
      on = !on
    } else if (s.op === 'limit') await backend.edit(policy(BigInt(s.blocks * BLOCK_SIZE), s.seconds), [volume])
    else if (s.op === 'host') await control.setHostOnline(DEMO.host1, s.online)
    else if (s.op === 'view') {
      if ((await here.info(volume)).host_uuid !== '') await here.viewOff(volume)
      else await failure(async () => await here.viewOn(volume, await pointAt(here, volume, points.at(-1) ?? 0n)))
    } else if (s.op === 'revert' && points.length > 0) {
      await failure(async () => await (there?.backend ?? here).revert(volume, await pointAt(here, volume, points[points.length >> 1] as Ns)))
    }
  }

  await t.resolves(fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 20 }), async (steps) => {
    for (const [i, s] of steps.entries()) {
      await failure(async () => { await take(s) })
      // Twice: the second ask is a hit unless something changed in between.
      for (let ask = 0; ask < 2; ask++) {
        const cached = await cache.info(volume, read)
        asked++
        deepStrictEqual(cached, await here.info(volume), `after step ${i} (${JSON.stringify(s, (_k, v: unknown) => typeof v === 'bigint' ? String(v) : v)})`)
      }
    }
  }), { numRuns, endOnFailure: true }))
  t.ok(reads < asked, `some answers came from the cache (${asked - reads} of ${asked})`)
  t.ok(reads > asked / 4, `and many were read again after a change (${reads} of ${asked})`)
}

t.test('over histories of two processes on one file, a cached info always equals the uncached one', async (t) => {
  await cachedEqualsUncached(t, join(tempDir(t, 'cdp-info-cache-'), 'state.db'), 40)
})

t.test('on an in-memory database (no file, no other process), the change count alone keeps it right', async (t) => {
  await cachedEqualsUncached(t, ':memory:', 60)
})

t.test('an answer holds for every now before its valid-until: time alone changes nothing sooner', async (t) => {
  await t.resolves(fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 15 }), async (steps) => {
    const sim = openDemo(t, { snapshotIntervalSeconds: SNAPSHOT_SECONDS })
    await sim.enable([volume])
    let on = true
    for (const s of steps) {
      if (s.op === 'write') sim.write(DEMO.cdp1, [{ offset: s.block * BLOCK_SIZE, length: BLOCK_SIZE, fill: s.fill }])
      else if (s.op === 'advance') sim.advance(s.ns)
      else if (s.op === 'toggle') {
        await (on ? sim.disable([volume]) : sim.enable([volume]))
        on = !on
      } else if (s.op === 'limit') await sim.edit(policy(BigInt(s.blocks * BLOCK_SIZE), s.seconds), [volume])
    }
    const { info, validUntil } = await sim.infoEntry(volume)
    const now = sim.clock().now
    const last = (validUntil > MAX_TIME ? MAX_TIME + 1n : validUntil) - 1n
    if (last > now) sim.advance(last - now)
    deepStrictEqual(await sim.info(volume), info, `at ${last}, the last ns before ${validUntil}`)
    await sim.close()
  }), { numRuns: 150 }))
})

t.test('the cache drops an answer at its valid-until on a clock that moves by itself', async (t) => {
  const answer = (n: number): CdpInfo => ({ cdp_info: [], host_uuid: String(n) })
  let now = 100n
  let reads = 0
  const cache = new InfoCache({ changes: () => 0n, dataVersion: () => 0, now: () => now })
  const read = async (): Promise<InfoEntry> => ({ info: answer(++reads), validUntil: 200n, changes: 0n })
  t.equal((await cache.info(volume, read)).host_uuid, '1')
  now = 199n
  t.equal((await cache.info(volume, read)).host_uuid, '1', 'the last ns before valid-until: kept')
  now = 200n
  t.equal((await cache.info(volume, read)).host_uuid, '2', 'at valid-until: read again')
})
