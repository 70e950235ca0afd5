// The README's walkthroughs run as written: each ```sh block of "First five minutes" and
// "Endpoints" is run by bash with curl against its own `npm start` server process (manual
// clock, fresh state) on a free loopback port, and every answer must be a success envelope.
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'
import { spawnApiServer } from '../helpers/api-server.js'

const run = promisify(execFile)

/** The first ```sh block after the heading `## name`. */
function shellBlock (name: string): string {
  const readme = readFileSync('README.md', 'utf8')
  const section = readme.slice(readme.indexOf(`\n## ${name}\n`))
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1]
  if (block === undefined) throw new Error(`no sh block under ## ${name}`)
  return block
}

for (const section of ['First five minutes', 'Endpoints']) {
  t.test(`the "${section}" commands run as written, each answer a success`, async (t) => {
    const server = spawnApiServer(t, { CDP_SIM_CLOCK: 'manual' })
    const address = await server.address
    t.match(address, /^http:\/\/127\.0\.0\.1:\d+$/, `listening (${server.stderr()})`)
    // curl prints each body without a newline: one line per answer here.
    const script = `curl () { command curl "$@"; echo; }\n${shellBlock(section).replaceAll('http://127.0.0.1:8080', address)}`
    const { stdout } = await run('bash', ['-e', '-c', script])
    const answers = stdout.trim().split('\n').map((line) => JSON.parse(line) as { scode: number, desc: string })
    t.ok(answers.length >= 8, `${answers.length} answers`)
    answers.forEach((answer, i) => { t.equal(answer.scode, 0, `answer ${i + 1}: ${answer.scode === 0 ? 'success' : answer.desc}`) })
    server.child.kill('SIGTERM')
  })
}
