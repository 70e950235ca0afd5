// The simulator's gauges on the app's /metrics: per CDP volume, journal use and how far back it
// can be recovered, read from the simulator when scraped.
import { Gauge, type Registry } from 'prom-client'
import type { JournalStat } from './info.js'

export function registerJournalGauges (registry: Registry, read: () => JournalStat[]): void {
  const window = new Gauge({ name: 'cdp_recoverable_window_seconds', help: 'Total length of a volume\'s recoverable ranges', labelNames: ['volume_uuid'], registers: [] })
  // One read fills both: the window gauge is registered after this one, so it is
  // collected (and printed) after it has been set here.
  const use = new Gauge({
    name: 'cdp_journal_use_bytes',
    help: 'Journal bytes a volume uses on its CDP disks',
    labelNames: ['volume_uuid'],
    registers: [],
    collect () {
      this.reset()
      window.reset()
      for (const stat of read()) {
        this.set({ volume_uuid: stat.volume_uuid }, Number(stat.use))
        window.set({ volume_uuid: stat.volume_uuid }, stat.window_seconds)
      }
    }
  })
  registry.registerMetric(use)
  registry.registerMetric(window)
}
