// How a volume's history fares against its policy, Zerto-style: `shrinking` while capacity
// retention cuts history short of reserve_duration; `warning` while the history kept is below
// a fraction of reserve_duration although CDP has been on long enough to reach that fraction.
import type { Pressure, WindowFacts } from './schemas/window.js'

/** Zerto's first alert: history below 85% of what is configured. */
export const DEFAULT_WARNING_FRACTION = 0.85

export function protectionPressure (facts: WindowFacts, warningFraction: number): Pressure {
  if (facts.gaps.some((gap) => gap.reason === 'trimmed_by_capacity')) return 'shrinking'
  const wanted = Number(facts.configured_seconds) * warningFraction
  return Number(facts.on_seconds) >= wanted && Number(facts.actual_seconds) < wanted ? 'warning' : 'ok'
}
