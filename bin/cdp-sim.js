#!/usr/bin/env node
// `cdp-sim` as npm links it (package.json "bin"). It runs the built simulator/cli.js from
// dist/ when dist/ was built from the sources as they are (a start of ~0.3 s, and it works
// after `npm ci --omit=dev`); otherwise the checked-out source through tsx, so an edit is
// never run stale.
import { distIsCurrent } from './dist.mjs'

if (distIsCurrent()) {
  await import('../dist/simulator/cli.js')
} else {
  let register
  try {
    ({ register } = await import('tsx/esm/api'))
  } catch {
    console.error('cdp-sim: dist/ is missing or older than the sources, and tsx is not installed to run them: run `npm run build`')
    process.exit(1)
  }
  register()
  await import('../simulator/cli.ts')
}
