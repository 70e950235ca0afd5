// fixtures/extension-examples/ (the OpenAPI document's examples of group view, group revert
// and changes) are real answers: replayed here on a manual clock, each answer is the file,
// byte for byte in value (ns times included), and the document shows them.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { loadTopology } from '../../../simulator/index.js'
import { CDP, SECOND, call, openTestApp, parseLossless, volume } from '../../helpers/app.js'
import { GROUP } from '../../helpers/group.js'

const DIR = 'fixtures/extension-examples'
const file = (name: string): any => parseLossless(readFileSync(`${DIR}/${name}`, 'utf8'))
const index = file('index.json') as Array<{ name: string, method: 'GET' | 'POST', url: string, request?: string, response: string }>

t.test('each example is the answer its request gets, and the document shows it', async (t) => {
  const { app, sim } = await openTestApp(t, { topology: loadTopology(GROUP.topology), snapshotIntervalSeconds: 60 })
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(GROUP.data), volume(GROUP.log)] })
  sim.advance(SECOND)
  sim.write(GROUP.data, [{ offset: 0, length: 8192, fill: 1 }])
  sim.write(GROUP.log, [{ offset: 0, length: 4096, fill: 2 }])
  sim.advance(90n * SECOND)
  sim.write(GROUP.data, [{ offset: 4096, length: 4096, fill: 3 }, { offset: 65536, length: 16384, fill: 4 }])
  sim.advance(SECOND)
  const doc = parseLossless((await app.inject({ method: 'GET', url: '/docs/json' })).body) as any
  t.same(index.map((e) => e.name), ['group view', 'group revert', 'changes'])
  for (const example of index) {
    const answer = await call(app, example.method, example.url, example.request === undefined ? undefined : file(example.request))
    t.same(answer, { status: 200, body: file(example.response) }, example.name)
    if (example.name === 'group view') await call(app, 'POST', `${CDP}/group/view`, { ...file(example.request as string), op: 'off' })
    const documented = doc.paths[new URL(example.url, 'http://x').pathname][example.method.toLowerCase()]
    t.same(documented.responses['200'].content['application/json'].example, file(example.response), `${example.name}: the document's example`)
  }
})
