// The documented walkthroughs run as written: the ```sh block of the README's "First five
// minutes" and of docs/api.md's "Endpoints" is run by bash with curl against its own `npm
// start` server process (manual clock, fresh state) on a free loopback port, and every answer
// must be a success envelope.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { spawnApiServer } from '../helpers/api-server.js'
import { fencedBlock } from '../helpers/markdown.js'

const run = promisify(execFile)

for (const [page, heading] of [['README.md', 'First five minutes'], ['docs/api.md', 'Endpoints']] as const) {
  t.test(`the "${heading}" commands of ${page} run as written, each answer a success`, async (t) => {
    const server = spawnApiServer(t, { CDP_SIM_CLOCK: 'manual' })
    const address = await server.address
    t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/, `listening (${server.stderr()})`)
    // curl prints each body without a newline: one line per answer here.
    const script = `curl () { command curl "$@"; echo; }\n${fencedBlock(page, heading, 'sh').replaceAll('http://127.0.0.1:8080', address)}`
    const { stdout } = await run('bash', ['-e', '-c', script])
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as { scode: number, desc: string })
    t.ok(answers.length >= 8, `${answers.length} answers`)
    answers.forEach((answer, i) => { t.equal(answer.scode, 0, `answer ${i + 1}: ${answer.scode === 0 ? 'success' : answer.desc}`) })
    server.child.kill('SIGTERM')
  })
}
