// `cdp-sim cluster` as a process: 3 agents over one database share one clock and one set of
// hosts, fault rules go to every agent, the spec's examples replay through the API on top
// after a cluster-wide reset, and SIGTERM stops every process (an agent that dies:
// cluster-death.test.ts). The slicing and the routing file are checked in-process.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { RoutingTable } from '../../../src/backend/agent/routing.js'
import { clusterRoutes, slices } from '../../../simulator/cli/cluster.js'
import { CDP, DEMO, SECOND, callHttp, volume } from '../../helpers/app.js'
import { cdpSim, startServing, tempDir } from '../../helpers/cdp-sim.js'
import { CONTROL_LINE, pidsWith, printed, refuses } from '../../helpers/cdp-sim-cluster.js'
import { httpControl } from '../../src/backend/conformance/control.js'
import { overHttp, replay } from '../../helpers/spec-replay.js'
import { Scode } from '../../../src/errors.js'
import { demoTopology } from '../../helpers/demo.js'

const SIM = '/sim/v1'
const KEN_VOLUME_OF = { [DEMO.namespace]: DEMO.cdp1, [DEMO.linNamespace]: DEMO.linData } as Record<string, string>

t.test('slices deal the namespaces over the agents (replicas past their number); the routes are a valid routing file', async (t) => {
  const [ken, lin] = [DEMO.namespace, DEMO.linNamespace]
  t.strictSame(slices(demoTopology, 1), [[ken, lin]])
  t.strictSame(slices(demoTopology, 3), [[ken], [lin], [ken]])
  const urls = ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3']
  const routes = clusterRoutes(demoTopology, slices(demoTopology, 3), urls)
  t.strictSame(routes, [
    { cluster_uuid: DEMO.cluster, urls: [urls[0], urls[2]] },
    { cluster_uuid: DEMO.cluster, namespaces: [lin], urls: [urls[1]] }
  ], 'ken\'s slice is the catch-all with two replicas, lin\'s its own route')
  for (let n = 1; n <= 5; n++) {
    const table = new RoutingTable(clusterRoutes(demoTopology, slices(demoTopology, n), Array.from({ length: n }, (_, i) => `http://127.0.0.1:${i + 1}`)))
    t.equal(table.urls().length, n, `${n} agents: a valid table naming each agent`)
  }
})

t.test('a bad option is one line and exit 2', async (t) => {
  for (const [args, message] of [
    [['cluster'], /--agents is required/],
    [['cluster', '--agents', '0'], /--agents must be a whole number from 1 to 64/],
    [['cluster', '--agents', '2', '--db', ':memory:'], /--db must be a file: the agents share it/]
  ] as const) {
    const run = await cdpSim(t, [...args])
    t.equal(run.code, 2, args.join(' '))
    t.match(run.stderr, message)
  }
})

t.test('3 agents: one clock, hosts and fault rules cluster-wide, the spec replay through the API on top, SIGTERM stops all', async (t) => {
  const db = join(tempDir(t, 'cdp-cluster-'), 'cluster.db')
  const cluster = await startServing(t, ['cluster', '--agents', '3', '--api', '--clock', 'manual', '--port', '0', '--db', db], CONTROL_LINE)
  t.teardown(() => { for (const pid of pidsWith(db)) process.kill(pid, 'SIGKILL') })
  const { agents, api, routes } = printed(cluster.before)
  t.equal(agents.length, 3, 'a line per agent')
  t.equal(api.length, 1, 'an api line')
  t.match(JSON.parse(readFileSync(routes[0] as string, 'utf8')), { routes: [{ cluster_uuid: DEMO.cluster }, { cluster_uuid: DEMO.cluster }] }, 'the routing file')
  const base = api[0] as string

  // One clock: moved once at the control port, read by every agent.
  await cluster.post(`${SIM}/clock/advance`, { seconds: 7 })
  const nows = await Promise.all(agents.map(async (url) => (await callHttp(url, 'GET', `${SIM}/clock`)).body.data.now))
  t.strictSame(nows, [1630053328n * SECOND, 1630053328n * SECOND, 1630053328n * SECOND], 'every agent reads the same now')

  // A host offline: seen by every agent's volumes.
  await callHttp(base, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1), volume(DEMO.linData)] })
  t.equal((await cluster.post(`${SIM}/hosts/${DEMO.host1}/state`, { online: false })).status, 200)
  for (const url of agents) {
    const { ranges } = (await callHttp(url, 'POST', '/agent/v1/list', { cluster_uuid: DEMO.cluster, limit: 0 })).body.data
    const served = KEN_VOLUME_OF[ranges[0].namespace_uuid] as string
    const info = await callHttp(url, 'POST', '/agent/v1/info', { volume: { cluster_uuid: DEMO.cluster, volume_uuid: served } })
    t.equal(info.body.data.cdp_info[0].online, false, `${url}: its volume's segment is offline`)
  }

  // A fault rule at the control port reaches every agent under one id.
  const rule = (await cluster.post(`${SIM}/faults`, { operation: 'info', probability: 1, count: 1, scode: Scode.BACKEND_UNAVAILABLE.scode })).body.data
  for (const url of agents) {
    t.strictSame((await callHttp(url, 'GET', `${SIM}/faults`)).body.data.rules.map((r: { id: string }) => r.id), [rule.id], `${url} has the rule`)
  }
  t.equal((await callHttp(base, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.linData}`)).status, 503, 'the API meets it')
  // The API asks every agent of the cluster about a volume, so each drew once (count holds per agent).
  const fired = await Promise.all(agents.map(async (url) => (await callHttp(url, 'GET', `${SIM}/faults`)).body.data.rules[0].fired as number))
  t.equal((await cluster.get(`${SIM}/faults`)).body.data.rules[0].fired, fired.reduce((a, b) => a + b, 0), `the control port sums the agents' counts (${fired.join(', ')})`)
  const other = { ...demoTopology, volumes: [] }
  t.equal((await cluster.post(`${SIM}/reset`, { topology: other })).body.scode, Scode.TOPOLOGY_FIXED.scode, 'a cluster keeps its topology')

  // Reset everywhere, then the spec's examples through the API on top.
  t.strictSame((await cluster.post(`${SIM}/reset`, {})).body.data, { now: 1630053321n * SECOND })
  t.strictSame((await callHttp(agents[1] as string, 'GET', `${SIM}/faults`)).body.data.rules, [], 'reset cleared every agent\'s rules')
  await replay(t, overHttp(base), httpControl(cluster.url))

  t.equal(await cluster.stop('SIGTERM'), 0, 'SIGTERM: exit 0')
  for (const url of agents) t.ok(await refuses(url), `${url} is stopped`)
  t.strictSame(pidsWith(db), [], 'no agent process is left')
})
