// A start with nothing changed does not rebuild: bin/prepare.mjs builds dist/ once, then
// leaves it while no source is newer than the build's stamp.
import { execFileSync } from 'node:child_process'
import { statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { distIsCurrent, ROOT } from '../../bin/dist.mjs'
import { bareNode } from '../helpers/node-child.js'

const STAMP = join(ROOT, 'dist', '.built')
const prepare = (): string => execFileSync(...bareNode(['bin/prepare.mjs']), { cwd: ROOT, encoding: 'utf8' })

t.test('after one build, prepare leaves a current dist/ alone; a source newer than the build makes it stale', async (t) => {
  prepare() // builds if this checkout has changed since the last build
  t.ok(distIsCurrent(), 'current right after a build')
  t.match(prepare(), /dist\/ is up to date with the sources; not rebuilt/, 'the second call does not run tsc')

  const built = statSync(STAMP)
  t.teardown(() => { utimesSync(STAMP, built.atime, built.mtime) })
  const source = statSync(join(ROOT, 'src', 'server.ts')).mtime
  const before = new Date(source.getTime() - 60_000)
  utimesSync(STAMP, before, before) // as if src/server.ts had been saved after the build
  t.notOk(distIsCurrent(), 'a source saved after the build makes dist/ stale')
})
