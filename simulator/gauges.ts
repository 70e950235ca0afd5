// The simulator's gauges on the app's /metrics: per CDP volume, journal use and how far back it
// can be recovered, read from the simulator when scraped.
import { Gauge, type Registry } from 'prom-client'
import type { Awaitable } from './control.js'
import type { JournalStat } from './info.js'

export function registerJournalGauges (registry: Registry, read: () => Awaitable<JournalStat[]>): void {
  // One read fills both: a scrape collects the use gauge first (it is registered first), and
  // that starts the read the window gauge then waits for.
  let latest: Promise<JournalStat[]> = Promise.resolve([])
  const use = new Gauge({
    name: 'cdp_journal_use_bytes',
    help: 'Journal bytes a volume uses on its CDP disks',
    labelNames: ['volume_uuid'],
    registers: [],
    async collect () {
      latest = Promise.resolve(read())
      const stats = await latest
      this.reset()
      for (const stat of stats) this.set({ volume_uuid: stat.volume_uuid }, Number(stat.use))
    }
  })
  const window = new Gauge({
    name: 'cdp_recoverable_window_seconds',
    help: 'Total length of a volume\'s recoverable ranges',
    labelNames: ['volume_uuid'],
    registers: [],
    async collect () {
      const stats = await latest
      this.reset()
      for (const stat of stats) this.set({ volume_uuid: stat.volume_uuid }, stat.window_seconds)
    }
  })
  registry.registerMetric(use)
  registry.registerMetric(window)
}
