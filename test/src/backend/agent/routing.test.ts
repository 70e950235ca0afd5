// The agent routing file: the fixtures load, routes resolve per cluster, and a bad file
// is refused with a message naming the file and the fault.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { RoutingTable, loadAgentRoutes } from '../../../../src/backend/agent/routing.js'
import { DEMO } from '../../../helpers/demo.js'

t.test('the fixtures load, and every URL in them is loopback', async (t) => {
  for (const file of ['fixtures/agents.example.json', 'fixtures/agents.test.json']) {
    const routes = loadAgentRoutes(file)
    t.ok(routes.length > 0, file)
    for (const url of routes.flatMap((route) => route.urls)) t.equal(new URL(url).hostname, '127.0.0.1', url)
  }
})

t.test('a cluster resolves to its routes; the catch-all route leaves out the named namespaces', async (t) => {
  const table = new RoutingTable(loadAgentRoutes('fixtures/agents.test.json'))
  t.strictSame(table.routesOf(DEMO.cluster.toUpperCase()), [
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace], exclude_namespaces: [], urls: ['http://127.0.0.1:9202'] },
    { cluster_uuid: DEMO.cluster, exclude_namespaces: [DEMO.namespace], urls: ['http://127.0.0.1:9201'] }
  ])
  t.strictSame(table.urls(), ['http://127.0.0.1:9202', 'http://127.0.0.1:9201'])
  t.throws(() => table.routesOf('99999999-0000-4000-8000-000000000000'), { code: 'CLUSTER_NOT_FOUND' })
})

t.test('a bad routing file is refused, naming the file and the fault', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-agents-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const route = (extra: object) => ({ cluster_uuid: DEMO.cluster, urls: ['http://127.0.0.1:9101'], ...extra })
  const bad: Array<[string, string, RegExp]> = [
    ['not JSON', '{routes:', /not JSON/],
    ['no routes', JSON.stringify({ routes: [] }), /\/routes/],
    ['a bad uuid', JSON.stringify({ routes: [route({ cluster_uuid: 'c1' })] }), /\/routes\/0\/cluster_uuid/],
    ['no urls', JSON.stringify({ routes: [route({ urls: [] })] }), /\/routes\/0\/urls/],
    ['a URL that is not http', JSON.stringify({ routes: [route({ urls: ['ftp://127.0.0.1/'] })] }), /\/routes\/0\/urls\/0: .*http/],
    ['a URL with credentials', JSON.stringify({ routes: [route({ urls: ['http://u:s3cret-pw@127.0.0.1:1'] })] }), /credentials/],
    ['a broken URL with credentials', JSON.stringify({ routes: [route({ urls: ['http://u:s3cret-pw@[127.0.0.1:1'] })] }), /not a URL/],
    ['a cluster without a catch-all route', JSON.stringify({ routes: [route({ namespaces: [DEMO.namespace] })] }), /needs one route without namespaces/],
    ['an unknown key', JSON.stringify({ routes: [route({ url: 'x' })] }), /\/routes\/0/],
    ['two catch-all routes', JSON.stringify({ routes: [route({}), route({})] }), /two routes without namespaces/],
    ['a namespace served twice', JSON.stringify({ routes: [route({ namespaces: [DEMO.namespace] }), route({ namespaces: [DEMO.namespace.toUpperCase()] })] }), /served by two routes/],
    ['an empty namespace list', JSON.stringify({ routes: [route({ namespaces: [] })] }), /\/routes\/0\/namespaces/]
  ]
  for (const [what, text, message] of bad) {
    const file = join(dir, 'agents.json')
    writeFileSync(file, text)
    const error = t.throws(() => loadAgentRoutes(file), { message: new RegExp(`^invalid configuration: CDP_AGENTS \\(${file}\\): .*${message.source}`) }, what)
    t.notMatch((error as Error | undefined)?.message, 's3cret-pw', `${what}: no password in the message`)
  }
  t.throws(() => loadAgentRoutes(join(dir, 'missing.json')), /CDP_AGENTS \(.*missing\.json\): cannot read it: ENOENT/)
})
