#!/usr/bin/env node
// `npm test` (tap without coverage) and `npm run coverage` (with its table): runs tap with the
// given arguments, and when it fails prints every failed test point with its diagnostics
// once more at the very end. A CI log that keeps only its tail (after tap's summary or
// coverage table) still says which file and which assertion failed.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

const TAP = join(import.meta.dirname, '..', 'node_modules', '.bin', 'tap')

const RESULTS = '.tap/test-results'
const DIAGNOSTIC_LINES = 30

const started = Date.now()
const run = spawnSync(TAP, process.argv.slice(2), { stdio: 'inherit', shell: false })
const code = run.status ?? 1
if (code !== 0) printFailures()
process.exit(code)

function printFailures () {
  const failures = []
  for (const file of resultFiles(RESULTS)) {
    if (statSync(file).mtimeMs < started) continue
    const lines = readFileSync(file, 'utf8').split('\n')
    lines.forEach((line, i) => {
      if (!/^\s*not ok /.test(line) || /# (TODO|SKIP)/i.test(line)) return
      failures.push({ file: relative(RESULTS, file), line: line.trim(), diagnostics: lines.slice(i + 1, i + DIAGNOSTIC_LINES) })
    })
  }
  // Diagnostics first, then the one-line list last, so that even a short tail holds it.
  for (const f of failures) console.log(`\n# ${f.file}: ${f.line}\n${f.diagnostics.join('\n')}`)
  console.log(`\n# failed test points (${failures.length}), from ${RESULTS}:`)
  for (const f of failures) console.log(`# ${f.file}: ${f.line}`)
}

function resultFiles (dir) {
  let entries
  try { entries = readdirSync(dir, { withFileTypes: true }) } catch { return [] }
  return entries.flatMap(e => e.isDirectory() ? resultFiles(join(dir, e.name)) : e.name.endsWith('.tap') ? [join(dir, e.name)] : [])
}
