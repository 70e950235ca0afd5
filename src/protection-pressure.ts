// How a volume's history fares against its policy, Zerto-style: `shrinking` while capacity
// retention cuts history short of reserve_duration; `warning` while the history kept is below
// a fraction of reserve_duration although CDP has been on long enough to reach that fraction.
// The window route and the protection gauges both decide it here.
import type { Pressure, ProtectionStanding, WindowFacts } from './schemas/window.js'

/** Zerto's first alert: history below 85% of what is configured. */
export const DEFAULT_WARNING_FRACTION = 0.85

/** What pressure is decided from. */
export type PressureFacts = Omit<ProtectionStanding, 'volume_uuid'>

/** The gauges' encoding of a pressure (cdp_protection_pressure): its rank, worst highest. */
export const PRESSURE_LEVEL: Record<Pressure, number> = { ok: 0, warning: 1, shrinking: 2 }

export function pressureFacts (facts: WindowFacts): PressureFacts {
  return {
    configured_seconds: facts.configured_seconds,
    actual_seconds: facts.actual_seconds,
    on_seconds: facts.on_seconds,
    trimmed_by_capacity: facts.gaps.some((gap) => gap.reason === 'trimmed_by_capacity')
  }
}

export function protectionPressure (facts: PressureFacts, warningFraction: number): Pressure {
  if (facts.trimmed_by_capacity) return 'shrinking'
  const wanted = Number(facts.configured_seconds) * warningFraction
  return Number(facts.on_seconds) >= wanted && Number(facts.actual_seconds) < wanted ? 'warning' : 'ok'
}
