// The agent routing file: the fixtures load, routes resolve per cluster, and a bad file
// is refused with a message naming the file and the fault.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { RoutingTable, loadAgentRoutes, type AgentRoute } from '../../../../src/backend/agent/routing.js'
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

t.test('routes given in code are held to the file\'s rules, each refusal naming `routes` and the fault', async (t) => {
  const route = (extra: object): AgentRoute => ({ cluster_uuid: DEMO.cluster, urls: ['http://127.0.0.1:9101'], ...extra })
  const bad: Array<[string, AgentRoute[], string]> = [
    ['no routes', [], 'routes: no routes'],
    ['a bad cluster uuid', [route({ cluster_uuid: 'c1' })], 'routes: /routes/0/cluster_uuid: not a uuid'],
    ['no urls', [route({ urls: [] })], 'routes: /routes/0/urls: needs at least one URL'],
    ['a URL that is not http', [route({ urls: ['http://127.0.0.1:1', 'ftp://127.0.0.1/'] })], 'routes: /routes/0/urls/1: ftp: must be http: or https:'],
    ['an empty namespace list', [route({}), route({ namespaces: [] })], 'routes: /routes/1/namespaces: leave it out for a catch-all route, or name at least one'],
    ['a namespace that is not a uuid', [route({}), route({ namespaces: ['ns-1'] })], 'routes: /routes/1/namespaces: ns-1 is not a uuid']
  ]
  for (const [what, routes, message] of bad) t.throws(() => new RoutingTable(routes), { message }, what)
})

t.test('an agent URL carries no credentials, query or fragment: any one of them is refused', async (t) => {
  const cases: Array<[string, string]> = [
    ['http://admin@127.0.0.1:1', 'routes: /routes/0/urls/0: must not carry credentials (use CDP_AGENT_TOKEN); not echoed here'],
    ['http://:s3cret-pw@127.0.0.1:1', 'routes: /routes/0/urls/0: must not carry credentials (use CDP_AGENT_TOKEN); not echoed here'],
    ['http://127.0.0.1:1/agent?x=1', 'routes: /routes/0/urls/0: http://127.0.0.1:1/agent must not have a query or fragment'],
    ['http://127.0.0.1:1/agent#top', 'routes: /routes/0/urls/0: http://127.0.0.1:1/agent must not have a query or fragment']
  ]
  for (const [url, message] of cases) t.throws(() => new RoutingTable([{ cluster_uuid: DEMO.cluster, urls: [url] }]), { message }, url)
})

t.test('one route may serve several namespaces, and each cluster has its own catch-all', async (t) => {
  const other = '99999999-0000-4000-8000-000000000000'
  const second = '3c3c3c3c-0000-4000-8000-000000000003'
  const table = new RoutingTable([
    { cluster_uuid: DEMO.cluster.toUpperCase(), namespaces: [DEMO.namespace.toUpperCase(), second], urls: ['http://127.0.0.1:1/agent//'] },
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.linNamespace], urls: ['http://127.0.0.1:2/a/b/'] },
    { cluster_uuid: DEMO.cluster, urls: ['http://127.0.0.1:3'] },
    { cluster_uuid: other, urls: ['http://127.0.0.1:3/'] }
  ])
  t.strictSame(table.routesOf(DEMO.cluster), [
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace, second], exclude_namespaces: [], urls: ['http://127.0.0.1:1/agent'] },
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.linNamespace], exclude_namespaces: [], urls: ['http://127.0.0.1:2/a/b'] },
    { cluster_uuid: DEMO.cluster, exclude_namespaces: [DEMO.namespace, second, DEMO.linNamespace], urls: ['http://127.0.0.1:3'] }
  ], 'ids in lower case, URLs without trailing slashes, the catch-all leaving out every named namespace')
  t.strictSame(table.routes().map((route) => route.urls[0]), ['http://127.0.0.1:1/agent', 'http://127.0.0.1:2/a/b', 'http://127.0.0.1:3', 'http://127.0.0.1:3'])
  t.strictSame(table.urls(), ['http://127.0.0.1:1/agent', 'http://127.0.0.1:2/a/b', 'http://127.0.0.1:3'], 'an agent serving two clusters is one URL')
})
