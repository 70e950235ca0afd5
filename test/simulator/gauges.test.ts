// The simulator's journal gauges (simulator/gauges.ts) on a registry of their own: one scrape
// reads the simulator once and fills both gauges from that read; each scrape shows only the
// volumes of its own read; names, help and labels are as documented.
import { Registry } from 'prom-client'
import t from 'tap'
import { registerJournalGauges } from '../../simulator/gauges.js'
import type { JournalStat } from '../../simulator/info.js'

/** The samples of a scrape, `name{labels}` → value text. */
async function samples (registry: Registry): Promise<Map<string, string>> {
  const text = await registry.metrics()
  return new Map(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const at = line.lastIndexOf(' ')
    return [line.slice(0, at), line.slice(at + 1)]
  }))
}

t.test('one scrape reads once and fills use and window per volume from that read', async (t) => {
  const registry = new Registry()
  const reads: JournalStat[][] = [
    [{ volume_uuid: 'v-a', use: 8192n, window_seconds: 1.5 }, { volume_uuid: 'v-b', use: 0n, window_seconds: 0 }],
    [{ volume_uuid: 'v-b', use: 4096n, window_seconds: 60 }]
  ]
  let calls = 0
  registerJournalGauges(registry, () => reads[calls++] ?? [])
  const first = await samples(registry)
  t.equal(calls, 1, 'the window gauge waits for the use gauge\'s read, it does not read again')
  t.same(Object.fromEntries(first), {
    'cdp_journal_use_bytes{volume_uuid="v-a"}': '8192',
    'cdp_journal_use_bytes{volume_uuid="v-b"}': '0',
    'cdp_recoverable_window_seconds{volume_uuid="v-a"}': '1.5',
    'cdp_recoverable_window_seconds{volume_uuid="v-b"}': '0'
  })
  const second = await samples(registry)
  t.equal(calls, 2)
  t.same(Object.fromEntries(second), {
    'cdp_journal_use_bytes{volume_uuid="v-b"}': '4096',
    'cdp_recoverable_window_seconds{volume_uuid="v-b"}': '60'
  }, 'a volume gone from the read is gone from both gauges')
  const third = await samples(registry)
  t.same(Object.fromEntries(third), {}, 'an empty read shows no volume')
})

t.test('an async read is awaited by both gauges', async (t) => {
  const registry = new Registry()
  let calls = 0
  registerJournalGauges(registry, async () => {
    calls++
    await new Promise((resolve) => setImmediate(resolve))
    return [{ volume_uuid: 'v-c', use: 123n, window_seconds: 2 }]
  })
  t.same(Object.fromEntries(await samples(registry)), {
    'cdp_journal_use_bytes{volume_uuid="v-c"}': '123',
    'cdp_recoverable_window_seconds{volume_uuid="v-c"}': '2'
  })
  t.equal(calls, 1)
})

t.test('the gauges are registered only in the registry given, with their help texts', async (t) => {
  const registry = new Registry()
  registerJournalGauges(registry, () => [])
  t.same(registry.getMetricsAsArray().map((m) => m.name), ['cdp_journal_use_bytes', 'cdp_recoverable_window_seconds'])
  const text = await registry.metrics()
  t.match(text, '# HELP cdp_journal_use_bytes Journal bytes a volume uses on its CDP disks\n')
  t.match(text, '# HELP cdp_recoverable_window_seconds Total length of a volume\'s recoverable ranges\n')
  t.match(text, '# TYPE cdp_journal_use_bytes gauge')
  const other = new Registry()
  registerJournalGauges(other, () => [])
  t.equal(other.getMetricsAsArray().length, 2, 'a second registry takes its own pair without a name clash')
})

t.test('the window gauge scraped alone, before any scrape of the use gauge, shows no volume and reads nothing', async (t) => {
  const registry = new Registry()
  let calls = 0
  registerJournalGauges(registry, () => { calls++; return [{ volume_uuid: 'v-d', use: 1n, window_seconds: 3 }] })
  const text = await registry.getSingleMetricAsString('cdp_recoverable_window_seconds')
  t.same(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')), [])
  t.equal(calls, 0)
})
