// Layers point one way: nothing in src/ but the composition root (src/server.ts) imports the
// simulator; whatever the simulator adds to the app is passed in where the app is built.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sources(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

t.test('only src/server.ts imports simulator/', async (t) => {
  const importers = sources(join(root, 'src'))
    .filter((file) => /(?:from|import\()\s*'(?:\.\.\/)+simulator\//.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file))
  t.same(importers, ['src/server.ts'])
})
