// `npm ci` and `npm install` run this (npm's prepare step), and so do `npm start` and
// `npm pack`: it builds dist/, which `volume-cdp/client`, `npm start` and `cdp-sim` load. A
// dist/ already built from the current sources is left as it is (so a start does not
// rebuild); `--force` builds anyway. An install without dev dependencies (npm ci
// --omit=dev) has no TypeScript to build with and skips: a packed package already carries
// dist/. Other arguments go to tsc and always build (a test builds into a temp dir).
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { distIsCurrent, ROOT, stampBuild } from './dist.mjs'

const force = process.argv.includes('--force')
const tscArgs = process.argv.slice(2).filter((arg) => arg !== '--force')
const intoDist = tscArgs.length === 0
if (intoDist && !force && distIsCurrent()) {
  console.log('prepare: dist/ is up to date with the sources; not rebuilt')
  process.exit(0)
}
let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  console.log('prepare: typescript is not installed; dist/ is not built')
  process.exit(0)
}
const startedAt = Date.now()
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...tscArgs], { stdio: 'inherit', cwd: ROOT })
if (build.status === 0 && intoDist) stampBuild(startedAt)
process.exit(build.status ?? 1)
