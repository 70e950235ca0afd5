// The protection gauges on /metrics, in both modes: per CDP volume its configured and actual
// history and its pressure, read from the backend when scraped (the simulator reads its
// database; the agent backend asks each agent once). A scrape exports at most `maxVolumes`
// volumes (by volume_uuid) and says how many it left out and how many agents did not answer.
import { Gauge, type Registry } from 'prom-client'
import type { CdpBackend, ProtectionSurvey } from './backend/port.js'
import { PRESSURE_LEVEL, protectionPressure } from './protection-pressure.js'

/** How many volumes one scrape exports at most (a scrape costs in proportion). */
export const PROTECTION_GAUGE_VOLUMES = 10_000

export interface ProtectionGaugeOptions {
  backend: Pick<CdpBackend, 'protection'>
  warningFraction: number
  maxVolumes: number
}

export function registerProtectionGauges (registry: Registry, { backend, warningFraction, maxVolumes }: ProtectionGaugeOptions): void {
  // The registry collects its metrics concurrently: the gauges of one scrape share one survey.
  // A backend that fails outright is one unanswered source (and a cdp_backend_errors_total
  // count), not a failed scrape: the other metrics still go out.
  let pending: Promise<ProtectionSurvey> | undefined
  const survey = async (): Promise<ProtectionSurvey> => {
    pending ??= backend.protection(maxVolumes)
      .catch(() => ({ volumes: [], omitted: 0, unanswered: 1 }))
      .finally(() => { pending = undefined })
    return await pending
  }
  const gauge = (name: string, help: string, labelNames: string[], fill: (gauge: Gauge, survey: ProtectionSurvey) => void): void => {
    registry.registerMetric(new Gauge({
      name,
      help,
      labelNames,
      registers: [],
      async collect () {
        const read = await survey()
        this.reset()
        fill(this, read)
      }
    }))
  }
  gauge('cdp_protection_window_seconds', 'A volume\'s history: configured (reserve_duration) and actual (now minus its oldest recoverable point)',
    ['volume_uuid', 'kind'], (g, { volumes }) => {
      for (const v of volumes) {
        g.set({ volume_uuid: v.volume_uuid, kind: 'configured' }, Number(v.configured_seconds))
        g.set({ volume_uuid: v.volume_uuid, kind: 'actual' }, Number(v.actual_seconds))
      }
    })
  gauge('cdp_protection_pressure', 'A volume\'s window pressure: 0 ok, 1 warning (actual below the warning fraction of configured), 2 shrinking (capacity retention cuts history)',
    ['volume_uuid'], (g, { volumes }) => {
      for (const v of volumes) g.set({ volume_uuid: v.volume_uuid }, PRESSURE_LEVEL[protectionPressure(v, warningFraction)])
    })
  gauge('cdp_protection_volumes_omitted', 'CDP volumes past the per-scrape cap, absent from the protection gauges', [], (g, { omitted }) => { g.set(omitted) })
  gauge('cdp_protection_agents_unanswered', 'Agents whose volumes are absent from the protection gauges (failed, or lack the operation)', [], (g, { unanswered }) => { g.set(unanswered) })
}
