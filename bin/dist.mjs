// Whether dist/ was built from the sources as they are now: the build leaves a stamp, and
// dist/ is current when no source or build setting is newer than it. `npm start` and
// `cdp-sim` use this to skip a build (and tsx) when nothing has changed.
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
const STAMP = join(ROOT, 'dist', '.built')
const INPUTS = ['src', 'simulator', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json']

function newest (path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let time = stat.mtimeMs // a deleted file shows as its folder's change
  for (const name of readdirSync(path)) time = Math.max(time, newest(join(path, name)))
  return time
}

export function distIsCurrent () {
  let built
  try {
    built = statSync(STAMP).mtimeMs
  } catch {
    return false
  }
  return INPUTS.every((input) => newest(join(ROOT, input)) <= built)
}

/** Called once a build of dist/ has succeeded; `startedAt` (ms) is when it began, so a
 * source saved while it ran counts as newer than the build. */
export function stampBuild (startedAt) {
  writeFileSync(STAMP, `built from the sources as they were at ${new Date(startedAt).toISOString()}\n`)
  utimesSync(STAMP, startedAt / 1000, startedAt / 1000)
}
