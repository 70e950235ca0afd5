// `volume-cdp/testing` as package.json "exports" names it: loads simulator/testing.ts through
// tsx, so the helper works from this checkout right after `npm ci`, with no build step.
import { register } from 'tsx/esm/api'

register()
const testing = await import('./simulator/testing.ts')
export const { startSimulator, RemoteError } = testing
