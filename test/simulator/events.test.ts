// A volume's events: what each rule did to its CDP, oldest first, paged after `since`, each
// with only the fields its kind has; a host's state change is an event of the volumes on its
// disks; a volume keeps its newest EVENTS_KEPT_PER_VOLUME.
import t from 'tap'
import { EVENTS_KEPT_PER_VOLUME } from '../../src/schemas/events.js'
import { advanceSeconds, openDemo, policy, ref } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'

t.test('a host going offline and online is an event of each volume on its CDP disks, and of no other', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  // vol-1 goes to host2's disk while host1 is away (a new CDP is placed on an online host).
  const away = advanceSeconds(sim, 1)
  sim.setHostOnline(DEMO.host1, false)
  await sim.enable([ref(DEMO.vol1)])
  const back = advanceSeconds(sim, 1)
  sim.setHostOnline(DEMO.host1, true)
  t.equal((await sim.info(ref(DEMO.vol1))).cdp_info[0]?.usd_path, '/dev/sde', 'vol-1 journals on host2')
  const off = advanceSeconds(sim, 1)
  sim.setHostOnline(DEMO.host1, false)
  const on = advanceSeconds(sim, 1)
  sim.setHostOnline(DEMO.host1, true)
  const hostEvents = async (uuid: string) => (await sim.events(ref(uuid), { page_num: 0, page_size: 0 })).events
    .filter((e) => e.kind.startsWith('host_')).map((e) => [e.kind, e.time])
  t.strictSame(await hostEvents(DEMO.cdp1), [['host_offline', away], ['host_online', back], ['host_offline', off], ['host_online', on]])
  t.strictSame(await hostEvents(DEMO.vol1), [])
})

t.test('events are paged oldest first after `since` (exclusive), total_count counting every one after it', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  const times: bigint[] = []
  for (let i = 0; i < 4; i++) {
    times.push(advanceSeconds(sim, 1))
    sim.setHostOnline(DEMO.host1, i % 2 === 1)
  }
  const page = async (query: { since?: bigint, page_num: number, page_size: number }) => {
    const { total_count: total, events } = await sim.events(ref(DEMO.cdp1), query)
    return { total, kinds: events.map((e) => e.kind) }
  }
  const toggles = ['host_offline', 'host_online', 'host_offline', 'host_online']
  t.strictSame(await page({ since: times[0] as bigint, page_num: 0, page_size: 0 }), { total: 3, kinds: toggles.slice(1) }, 'since is exclusive')
  t.strictSame(await page({ since: (times[0] as bigint) - 1n, page_num: 1, page_size: 2 }), { total: 4, kinds: toggles.slice(2, 4) }, 'the second page of two')
  t.strictSame(await page({ since: (times[0] as bigint) - 1n, page_num: 0, page_size: 3 }), { total: 4, kinds: toggles.slice(0, 3) }, 'the first page of three')
  const all = await page({ page_num: 0, page_size: 0 })
  t.strictSame(all.kinds.slice(-4), toggles, 'without since: every event, the enable\'s first')
  t.equal(all.total, all.kinds.length)
  t.ok(all.total > 4, 'the enable\'s events count too (its time 0 is after no since)')
})

t.test('an event has only the fields of its kind; a policy change holds the old and the new policy', async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  const first = policy(3n * 1024n ** 3n, 3600n, 'low')
  const next = policy(2n * 1024n ** 3n, 7200n, 'high')
  await sim.edit(first, [ref(DEMO.cdp1)])
  await sim.edit(next, [ref(DEMO.cdp1)])
  await sim.disable([ref(DEMO.cdp1)])
  await sim.enable([ref(DEMO.cdp1)])
  const { events } = await sim.events(ref(DEMO.cdp1), { page_num: 0, page_size: 0 })
  const enabled = events.find((e) => e.kind === 'enabled')
  t.strictSame(Object.keys(enabled ?? {}), ['id', 'time', 'kind'], 'enabled: no seq, from, to, bytes or policies')
  const opened = events.filter((e) => e.kind === 'segment_opened')
  t.strictSame(opened.map((e) => Object.keys(e)), [['id', 'time', 'kind', 'seq'], ['id', 'time', 'kind', 'seq']])
  t.strictSame(opened.map((e) => e.seq), [0n, 1n], 'each segment its seq')
  const changed = events.filter((e) => e.kind === 'policy_changed').at(-1)
  t.strictSame(changed?.new, next)
  t.strictSame(changed?.old, first, 'the policy before the edit')
  t.strictSame(Object.keys(changed ?? {}), ['id', 'time', 'kind', 'old', 'new'])
})

t.test('a trim is an event with its span and bytes, and the window names it as the reason for the time before the oldest range', async (t) => {
  const sim = openDemo(t, { snapshotIntervalSeconds: 10 })
  await sim.edit(policy(1024n ** 3n, 60n), [ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  await sim.enable([ref(DEMO.cdp1)])
  advanceSeconds(sim, 1)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  advanceSeconds(sim, 65)
  const window = await sim.window(ref(DEMO.cdp1))
  const trim = (await sim.events(ref(DEMO.cdp1), { page_num: 0, page_size: 0 })).events.find((e) => e.kind === 'trimmed_by_duration')
  t.strictSame(Object.keys(trim ?? {}), ['id', 'time', 'kind', 'from', 'to', 'bytes'])
  t.equal(trim?.bytes, 4096n)
  const oldest = window.ranges[0]?.from
  t.equal(trim?.to, oldest, 'the trim ends at the oldest range')
  t.strictSame(window.gaps.filter((g) => g.to === (oldest ?? 0n) - 1n).map((g) => g.reason), ['no_base_snapshot'])
})

t.test(`a volume keeps its newest ${EVENTS_KEPT_PER_VOLUME} events, however many it had`, async (t) => {
  const sim = openDemo(t)
  await sim.enable([ref(DEMO.cdp1)])
  for (let i = 0; i < EVENTS_KEPT_PER_VOLUME / 2 + 1; i++) {
    sim.setHostOnline(DEMO.host1, false)
    sim.setHostOnline(DEMO.host1, true)
  }
  const { total_count: total, events } = await sim.events(ref(DEMO.cdp1), { page_num: 0, page_size: 0 })
  t.equal(total, EVENTS_KEPT_PER_VOLUME)
  t.equal(events.length, EVENTS_KEPT_PER_VOLUME)
  t.ok(events.every((e) => e.kind.startsWith('host_')), 'the enable\'s events were the oldest: dropped')
  const ids = events.map((e) => e.id)
  t.strictSame(ids, ids.map((_, i) => (ids[0] as bigint) + BigInt(i)), 'the newest, none skipped')
})
