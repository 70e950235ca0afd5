#!/usr/bin/env node
// `cdp-sim` as npm links it (package.json "bin"): runs simulator/cli.ts through tsx, so the
// command is always the checked-out source and needs no build step after `npm ci`.
import { register } from 'tsx/esm/api'

register()
await import('../simulator/cli.ts')
