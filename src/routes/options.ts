// What every CDP route plugin is registered with.
import type { CdpBackend } from '../backend/port.js'

export interface CdpRouteOptions {
  backend: CdpBackend
  /** The most volumes one edit/enable/disable may name. */
  maxVolumesPerBatch: number
  /** `window` reports pressure `warning` below this fraction of reserve_duration. */
  windowWarningFraction: number
}
