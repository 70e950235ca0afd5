// The documented walkthroughs run as written: the ```sh block of the README's "First five
// minutes" and of docs/api.md's "Endpoints" is run by bash with curl against its own `npm
// start` server process (manual clock, fresh state) on a free loopback port, and every answer
// must be a success envelope. The README's "Block devices" block runs after its "First five
// minutes" in a scratch directory, with the Debian NBD tools npm test installs.
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { spawnApiServer } from '../helpers/api-server.js'
import { fencedBlock } from '../helpers/markdown.js'

const run = promisify(execFile)

/**
 * Runs `blocks` with bash (-e) against a fresh `npm start` (manual clock) in `cwd`, curl's
 * answers one per line; answers every line printed and, of those, the JSON answers.
 */
async function runAsWritten (t: Test, blocks: string, cwd?: string): Promise<{ lines: string[], answers: Array<{ scode: number, desc: string }> }> {
  const server = spawnApiServer(t, { CDP_SIM_CLOCK: 'manual' })
  const address = await server.address
  t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/, `listening (${server.stderr()})`)
  // curl prints each body without a newline: one line per answer here.
  const script = `curl () { command curl "$@"; echo; }\n${blocks.replaceAll('http://127.0.0.1:8080', address)}`
  const { stdout } = await run('bash', ['-e', '-c', script], { cwd })
  server.child.kill('SIGTERM')
  const lines = stdout.trim().split('\n')
  return { lines, answers: lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { scode: number, desc: string }) }
}

const eachSuccess = (t: Test, answers: Array<{ scode: number, desc: string }>): void => {
  answers.forEach((answer, i) => { t.equal(answer.scode, 0, `answer ${i + 1}: ${answer.scode === 0 ? 'success' : answer.desc}`) })
}

for (const [page, heading] of [['README.md', 'First five minutes'], ['docs/api.md', 'Endpoints']] as const) {
  t.test(`the "${heading}" commands of ${page} run as written, each answer a success`, async (t) => {
    const { lines, answers } = await runAsWritten(t, fencedBlock(page, heading, 'sh'))
    t.equal(answers.length, lines.length, 'every line printed is an answer')
    t.ok(answers.length >= 8, `${answers.length} answers`)
    eachSuccess(t, answers)
  })
}

t.test('the "Block devices" commands of README.md, run after "First five minutes", read the view back with real NBD tools', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'readme-nbd-'))
  t.teardown(async () => { await rm(dir, { recursive: true }) })
  const { lines, answers } = await runAsWritten(t, fencedBlock('README.md', 'First five minutes', 'sh') + fencedBlock('README.md', 'Block devices', 'sh'), dir)
  eachSuccess(t, answers)
  t.ok(lines.some((line) => /^\s*export-size: 10737418240\b/.test(line)), 'nbdinfo: the volume\'s size')
  t.ok(lines.some((line) => /^\s*is_read_only: true$/.test(line)), 'nbdinfo: read-only')
  t.ok(lines.includes('Images are identical.'), 'qemu-img compare: identical')
  t.ok(lines.includes('same over HTTP'), 'image/raw holds the bytes nbdcopy read')
  t.same(lines.filter((line) => /^( [0-9a-f]{2})+$/.test(line)), [' 01'.repeat(16)], 'the first 8 KiB are the first write\'s 0x01, nothing else')
})
