// The simulator in its worker thread, called directly (no HTTP): answers and refusals as the
// in-process simulator gives them (CdpErrors rebuilt, bytes as Buffers, a printed list when
// asked), view changes heard before the call that made them answers, the info cache dropping
// what a call changed and what time alone changed, a busy worker, a worker that cannot
// start, one that crashes, and one that is closed.
import t from 'tap'
import { CdpError } from '../../src/errors.js'
import { openSimulator, openWorkerSimulator, type WorkerSimulator } from '../../simulator/index.js'
import { DEMO, demoTopology } from '../helpers/demo.js'
import { ref } from '../helpers/simulator.js'

const MISSING = '00000000-0000-4000-8000-000000000099'
const manual = { db: ':memory:', topology: demoTopology, clock: { mode: 'manual' as const } }

/** What a promise settles to once a few turns have passed: 'pending' if it has not. */
async function settled (promise: Promise<unknown>): Promise<unknown> {
  return await Promise.race([promise.then((v) => ({ resolved: v }), (e) => ({ rejected: e })), new Promise((resolve) => setTimeout(() => { resolve('pending') }, 100))])
}

async function rejection (promise: Promise<unknown>): Promise<CdpError> {
  try {
    await promise
  } catch (error) {
    return error as CdpError
  }
  throw new Error('it did not reject')
}

/** JSON-like: bigints as numbers, as a printed list carries them. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_k, v) => typeof v === 'bigint' ? Number(v) : v))

// Three workers in all (each takes seconds to start on a loaded machine): one with the test
// hooks, manual clock, for the answers, views, cache, busy and crash; one on a real clock,
// then closed; one that cannot start.
t.test('one worker with the test hooks, in turn: answers, views, the cache, busy, and a crash', async (t) => {
  const sim = await openWorkerSimulator(manual, { testHooks: true, readyWithinMs: 150 })
  t.teardown(() => sim.close())
  const local = openSimulator(manual)
  t.teardown(() => local.close())

  await t.test('answers and refusals are the in-process simulator\'s', async (t) => {
    await t.resolves(sim.ready(), 'ready')
    const missing = await rejection(sim.info(ref(MISSING)))
    t.ok(missing instanceof CdpError, 'a refusal is a CdpError again')
    t.match(missing, { code: 'VOLUME_NOT_FOUND' })
    t.equal(missing.desc, await rejection(local.info(ref(MISSING))).then((e) => e.desc))

    // A batch carries a CdpError per failed volume inside its answer.
    const batch = await sim.enable([ref(DEMO.cdp1), ref(MISSING), ref(DEMO.vol1)])
    const localBatch = await local.enable([ref(DEMO.cdp1), ref(MISSING), ref(DEMO.vol1)])
    t.same(batch.map((r) => r.ok), [true, false, true])
    const failed = batch[1]
    t.ok(failed !== undefined && !failed.ok && failed.error instanceof CdpError, 'the failure inside is a CdpError')
    t.match(failed, { ok: false, error: { code: 'VOLUME_NOT_FOUND', desc: (localBatch[1] as { error: CdpError }).error.desc } })
    t.same(batch[0], localBatch[0])

    const data = Buffer.alloc(2 * 4096)
    for (let i = 0; i < data.length; i++) data[i] = (i * 13 + 5) & 0xff
    await sim.write(DEMO.cdp1, [{ offset: 0, data }])
    const bytes = await sim.readImage(DEMO.cdp1, 0, 3 * 4096)
    t.ok(Buffer.isBuffer(bytes), 'bytes come back as a Buffer')
    t.same(bytes, Buffer.concat([data, Buffer.alloc(4096)]))
    t.same(await sim.readImage(DEMO.cdp1, 4096, 4096), data.subarray(4096), 'and again, a later range')
    t.same(bytes, Buffer.concat([data, Buffer.alloc(4096)]), 'the first answer intact')

    const query = { cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 }
    local.write(DEMO.cdp1, [{ offset: 0, data }])
    const expected = await local.list(query)
    const unprinted = await sim.list(query)
    t.equal(unprinted.printed_list, undefined, 'a list not asked printed is not')
    t.same(plain(unprinted.List), plain(expected.List))
    const printed = await sim.list({ ...query, print_list: true })
    t.same(printed.List, [], 'the items are in the printed bytes instead')
    t.ok(printed.printed_list instanceof Uint8Array)
    t.same(JSON.parse(`[${Buffer.from(printed.printed_list as Uint8Array).toString()}]`), plain(expected.List))
    t.equal(printed.TotalCount, expected.TotalCount)
  })

  await t.test('a cached info is dropped by a change through the worker before the change answers', async (t) => {
    const use = async (): Promise<bigint> => BigInt((await sim.info(ref(DEMO.cdp1))).cdp_info.at(-1)?.use ?? -1n)
    const first = await use()
    t.equal(await use(), first, 'asked again: the same')
    const changes = await sim.changeCount()
    await sim.write(DEMO.cdp1, [{ offset: 2 * 4096, length: 4096, fill: 7 }])
    t.ok(await sim.changeCount() > changes, 'the change count moved')
    t.equal(await use(), first + 4096n, 'the write is seen at once')
  })

  await t.test('a view change is heard before the call that made it answers, on and off', async (t) => {
    const heard: Array<[string, boolean]> = []
    const order: string[] = []
    sim.onViewChange((uuid, on) => { heard.push([uuid, on]); order.push(`view ${String(on)}`) })
    const snap = (await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.snaps[0]
    if (snap === undefined) throw new Error('no opening snapshot')
    await sim.viewOn(ref(DEMO.cdp1), { snapshot_name: snap.name, timestamp: snap.time })
    order.push('viewOn answered')
    await sim.viewOff(ref(DEMO.cdp1))
    order.push('viewOff answered')
    t.same(heard, [[DEMO.cdp1, true], [DEMO.cdp1, false]])
    t.same(order, ['view true', 'viewOn answered', 'view false', 'viewOff answered'])
  })

  await t.test('held up past readyWithinMs, ready is SIMULATOR_BUSY; once free, ready again', async (t) => {
    const stall = sim.stallForTest!(1000)
    const busy = await rejection(sim.ready())
    t.ok(busy instanceof CdpError)
    t.match(busy, { code: 'SIMULATOR_BUSY', desc: 'no answer from the simulator within 150 ms' })
    await stall
    await t.resolves(sim.ready(), 'free again')
  })

  await t.test('crashed, it refuses every call with SIMULATOR_STOPPED and why; calls in flight too', async (t) => {
    // The stall holds the thread, so the crash and the call behind it are surely in flight.
    const stall = sim.stallForTest!(300).then(() => 'answered', (e: CdpError) => e.code)
    const crash = sim.crashForTest!()
    const behind = sim.info(ref(DEMO.cdp1))
    for (const inFlight of [await rejection(behind), await rejection(crash)]) {
      t.ok(inFlight instanceof CdpError)
      t.match(inFlight, { code: 'SIMULATOR_STOPPED', desc: /told to crash/ })
    }
    t.match(await stall, /^(answered|SIMULATOR_STOPPED)$/, 'the stall: answered, or its reply lost in the crash')
    const reason = await sim.stopped
    t.match(reason.message, /^crashForTest: the simulator worker thread was told to crash$/)
    const later = await rejection(sim.enable([ref(DEMO.cdp1)]))
    t.ok(later instanceof CdpError)
    t.match(later, { code: 'SIMULATOR_STOPPED', desc: reason.message })
    t.match(await rejection(sim.ready()), { code: 'SIMULATOR_STOPPED' })
    await t.resolves(sim.close(), 'closing a stopped worker is fine')
    // By now the thread has exited too (close awaited it): the reason is still the crash, not that exit.
    t.match(await rejection(sim.info(ref(DEMO.cdp1))), { code: 'SIMULATOR_STOPPED', desc: reason.message }, 'the first reason stands')
  })
})

t.test('a worker on a real clock, without test hooks: its clock and the info cache\'s agree; closed, it never reports a stop', async (t) => {
  // A 2 s cadence: the two asks right after the enable must fall before the next snapshot is due, even on a loaded machine.
  const sim: WorkerSimulator = await openWorkerSimulator({ ...manual, clock: { mode: 'real' }, snapshotIntervalSeconds: 2 })
  t.teardown(() => sim.close())
  t.equal(sim.stallForTest, undefined, 'no test hooks unless asked')
  t.equal(sim.crashForTest, undefined)
  const before = BigInt(Date.now()) * 1_000_000n
  const { now, mode } = await sim.clock()
  t.equal(mode, 'real')
  // Within 1 s of Date.now(): the worker's clock is the wall clock at its start plus the monotonic
  // clock since, so a step of the system clock (NTP) can part them by a little; a manual clock would be years off.
  t.ok(now >= before - 1_000_000_000n && now <= BigInt(Date.now() + 1000) * 1_000_000n, `the wall clock (${now} against Date.now() ${before})`)
  await sim.enable([ref(DEMO.cdp1)])
  const snaps = async (): Promise<number> => (await sim.info(ref(DEMO.cdp1))).cdp_info.flatMap((s) => s.snaps).length
  t.equal(await snaps(), 1, 'the opening snapshot')
  t.equal(await snaps(), 1, 'asked again before the next is due')
  await new Promise((resolve) => setTimeout(resolve, 2300))
  t.ok(await snaps() >= 2, 'a second later the next one is there, not a cached answer')

  await t.resolves(Promise.all([sim.close(), sim.close()]), 'two closes at once both resolve')
  await sim.close()
  t.equal(await settled(sim.stopped), 'pending', 'closed: no stop reported')
  const after = await rejection(sim.info(ref(DEMO.cdp1)))
  t.ok(after instanceof CdpError)
  t.match(after, { code: 'SIMULATOR_STOPPED', desc: 'the simulator worker thread exited (code 1)' })
})

t.test('a worker that cannot open its simulator rejects the open with the reason', async (t) => {
  const db = `${t.testdir({})}/no-such-dir/state.db`
  await t.rejects(openWorkerSimulator({ ...manual, db }), { message: new RegExp(`^cannot open the simulator database ${db}`) })
})

t.test('the worker thread\'s module, imported on the main thread, refuses to run', async (t) => {
  await t.rejects(import('../../simulator/worker-thread.js'), { message: 'worker-thread.ts runs only as a worker thread (worker-client.ts starts it)' })
})
