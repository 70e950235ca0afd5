// `npm ci` and `npm install` run this (npm's prepare step), and so does `npm pack`: it builds
// dist/, which `volume-cdp/client` and `npm start` load. An install without dev
// dependencies (npm ci --omit=dev) has no TypeScript to build with and skips: a packed
// package already carries dist/. Extra arguments go to tsc (a test builds into a temp dir).
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  console.log('prepare: typescript is not installed; dist/ is not built')
  process.exit(0)
}
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(build.status ?? 1)
