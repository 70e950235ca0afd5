// Faults and the simulator's own knobs: hosts going offline, bad writes, the clock, and a
// database file that outlives the process.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { type Simulator, openSimulator } from '../../simulator/index.js'
import { advanceSeconds, failure, openDemo, pointAt, ref, writeBlock } from '../helpers/simulator.js'
import { DEMO, demoTopology } from '../helpers/demo.js'
import { BLOCK_SIZE } from '../../simulator/content.js'

t.test('a host offline: its segments report online false and their points are unusable', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  const point = await pointAt(sim, ref(DEMO.cdp1), at)
  sim.setHostOnline(DEMO.host1, false)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.online), [false])
  t.same(sim.recoverable(DEMO.cdp1).ranges, [], 'no recoverable range on an offline host')
  t.equal(await failure(() => sim.image(DEMO.cdp1, at)), 'POINT_NOT_RECOVERABLE')
  t.equal(await failure(() => sim.viewOn(ref(DEMO.cdp1), point)), 'SEGMENT_OFFLINE')
  t.equal(await failure(() => sim.revert(ref(DEMO.cdp1), point)), 'SEGMENT_OFFLINE')
})

t.test('a host back online: its segments and points return', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const at = writeBlock(sim, DEMO.cdp1, 0, 1)
  const image = sim.image(DEMO.cdp1, at).digest
  const ranges = sim.recoverable(DEMO.cdp1).ranges
  sim.setHostOnline(DEMO.host1, false)
  sim.setHostOnline(DEMO.host1, true)
  t.same((await sim.info(ref(DEMO.cdp1))).cdp_info.map((s) => s.online), [true])
  t.same(sim.recoverable(DEMO.cdp1).ranges, ranges)
  t.equal(sim.image(DEMO.cdp1, at).digest, image)
})

t.test('a new CDP is placed on a disk whose host is online', async (t) => {
  const sim = openDemo(t)
  sim.setHostOnline(DEMO.host1, false)
  await sim.enable([ref(DEMO.cdp1)])
  t.match((await sim.info(ref(DEMO.cdp1))).cdp_info[0], { usd_maddr: '10.30.12.238', usd_path: '/dev/sde' })
})

t.test('an unknown host or VM is HOST_NOT_FOUND / VM_NOT_FOUND', async (t) => {
  const sim = openDemo(t)
  t.equal(await failure(() => sim.setHostOnline('00000000-0000-4000-8000-000000000000', false)), 'HOST_NOT_FOUND')
  t.equal(await failure(() => sim.setVmRunning('00000000-0000-4000-8000-000000000000', false)), 'VM_NOT_FOUND')
})

t.test('writes must be 4 KiB aligned and inside the volume, else INVALID_WRITE and nothing is written', async (t) => {
  const sim = openDemo(t)
  const before = sim.image(DEMO.vol1).digest
  const size = 10 * 1024 ** 3
  const bad = [
    { offset: 100, length: BLOCK_SIZE, fill: 1 },
    { offset: 0, length: BLOCK_SIZE + 1, fill: 1 },
    { offset: 0, length: 0, fill: 1 },
    { offset: size - BLOCK_SIZE, length: 2 * BLOCK_SIZE, fill: 1 },
    { offset: size, data: new Uint8Array(BLOCK_SIZE) },
    { offset: 0, data: new Uint8Array(100) },
    { offset: 0, length: BLOCK_SIZE, fill: 256 }
  ]
  for (const write of bad) {
    t.equal(await failure(() => sim.write(DEMO.vol1, [{ offset: 0, length: BLOCK_SIZE, fill: 9 }, write])), 'INVALID_WRITE', JSON.stringify(write))
  }
  t.equal(sim.image(DEMO.vol1).digest, before, 'not even the good write before the bad one')
  t.equal(await failure(() => sim.write(DEMO.vol1, [{ offset: size - BLOCK_SIZE, length: BLOCK_SIZE, fill: 1 }])), 'no error', 'the last block is inside')
})

t.test('writing to an unknown volume is VOLUME_NOT_FOUND', async (t) => {
  const sim = openDemo(t)
  t.equal(await failure(() => sim.write('00000000-0000-4000-8000-000000000000', [{ offset: 0, length: BLOCK_SIZE, fill: 1 }])), 'VOLUME_NOT_FOUND')
})

t.test('a manual clock moves only when told', async (t) => {
  const sim = openDemo(t)
  const { now, mode } = sim.clock()
  t.equal(mode, 'manual')
  t.equal(sim.clock().now, now)
  t.equal(sim.advance(5n), now + 5n)
  t.equal(sim.clock().now, now + 5n)
})

t.test('a real clock cannot be advanced: CLOCK_NOT_MANUAL', async (t) => {
  const sim = openSimulator({ db: ':memory:', topology: demoTopology, clock: { mode: 'real' } })
  t.teardown(() => sim.close())
  t.equal(sim.clock().mode, 'real')
  t.equal(await failure(() => sim.advance(1n)), 'CLOCK_NOT_MANUAL')
})

t.test('a database file keeps its state across close and reopen', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'volume-cdp-sim-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const options = { db: join(dir, 'sim.db'), topology: demoTopology, clock: { mode: 'manual' as const }, snapshotIntervalSeconds: 10 }
  const first = openSimulator(options)
  await first.enable([ref(DEMO.cdp1)])
  advanceSeconds(first, 3)
  const at = writeBlock(first, DEMO.cdp1, 2, 7)
  advanceSeconds(first, 30)
  const stateOf = async (sim: Simulator) => ({
    clock: sim.clock().now,
    list: await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 }),
    info: await sim.info(ref(DEMO.cdp1)),
    ranges: sim.recoverable(DEMO.cdp1).ranges,
    image: sim.image(DEMO.cdp1).digest,
    imageAt: sim.image(DEMO.cdp1, at).digest
  })
  const state = await stateOf(first)
  await first.close()

  const second = openSimulator(options)
  t.teardown(() => second.close())
  t.same(await stateOf(second), state)
  t.equal(state.list.List.length, 1, 'there was state to keep')
})
