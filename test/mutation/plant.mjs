// Plants mutants by hand, one at a time: each [label, text, replacement] of a JSON list
// replaces its one occurrence in FILE, the test file runs, and FILE is restored. Prints
// KILLED or SURVIVED per mutant. Run it in a worktree of its own: FILE is edited in place.
// TEST_FILE may name several, comma-separated: the mutant is killed if any of them fails.
// PLANT_DIRECT=1 runs each test file as `node --import tsx FILE` (tap standalone: the same
// pass or fail, without the runner's start, about 3x faster), one after another.
//   node test/mutation/plant.mjs FILE TEST_FILE MUTANTS.json
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, writeFileSync } from 'node:fs'

const [file, testFile, list] = process.argv.slice(2)
if (list === undefined) {
  console.error('usage: node test/mutation/plant.mjs FILE TEST_FILE MUTANTS.json')
  process.exit(2)
}
const source = readFileSync(file, 'utf8')
// Stopped from outside (a timeout, ^C) while a mutant is in FILE: FILE is restored first,
// and the test run stops. The run is awaited, not spawned synchronously, so that these
// handlers can run while it goes on.
let running
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    writeFileSync(file, source)
    if (running !== undefined) process.kill(-running.pid, 'SIGKILL')
    process.exit(130)
  })
}
for (const [label, text, replacement] of JSON.parse(readFileSync(list, 'utf8'))) {
  const found = source.split(text).length - 1
  if (found !== 1) {
    console.log(`SKIPPED ${label}: its text occurs ${found} times`)
    continue
  }
  writeFileSync(file, source.replace(text, () => replacement))
  try {
    // A mutant that makes the tests hang is detected, as Stryker counts a timeout.
    const runs = process.env.PLANT_DIRECT === '1'
      ? testFile.split(',').map((test) => ['timeout', ['-k', '5', '120', process.execPath, '--import', 'tsx', test]])
      : [['npx', ['tap', '--disable-coverage', '-R', 'silent', '--timeout', '120', ...testFile.split(',')]]]
    let status = 0
    for (const [command, args] of runs) {
      running = spawn(command, args, { stdio: 'ignore', detached: true })
      ;[status] = await once(running, 'exit')
      running = undefined
      if (status !== 0) break
    }
    console.log(`${status === 0 ? 'SURVIVED' : 'KILLED'} ${label}`)
  } finally {
    writeFileSync(file, source)
  }
}
