// The API in agent mode against agents that fail as real processes fail: a `cdp-sim agent`
// killed with SIGKILL mid-batch and restarted on its database, a peer that accepts and
// stays silent, one namespace's agent down beside a healthy one, and an agent answering
// garbage. The API always answers an envelope (never a hang, never a 500), and once the
// agent is back, calls succeed again without restarting the API.
import { writeFileSync } from 'node:fs'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import type { AgentRoute } from '../../src/backend/agent/routing.js'
import { Scode } from '../../src/errors.js'
import { demoOn, openAgentApp } from '../helpers/agent-app.js'
import { CDP, DEMO, call, volume } from '../helpers/app.js'
import { startAgent, tempDir } from '../helpers/cdp-sim.js'
import { benchTopology } from '../bench/sim-setup.js'
import { ok, startAgent as startFakeAgent } from '../helpers/fake-agent.js'

const AGENT_SCODES = [Scode.AGENT_UNREACHABLE.scode, Scode.AGENT_BAD_RESPONSE.scode, Scode.AGENT_TIMEOUT.scode]
const POLICY = { cdp_priority: 'mid', reserve_capacity: 1073741824, reserve_duration: 86400 }

/** The volume a batch item names and the scode it got. */
interface Item { scode: number, desc: string, data: { volume_uuid: string } }

t.test('an agent killed with SIGKILL mid-batch: every item is ok or AGENT_*; restarted on its db, nothing acknowledged is lost', async (t) => {
  const dir = tempDir(t, 'cdp-agent-kill-')
  const topology = benchTopology(1000)
  const cluster = topology.clusters[0]?.uuid ?? ''
  writeFileSync(join(dir, 'topology.json'), JSON.stringify(topology))
  const args = ['--topology', join(dir, 'topology.json'), '--db', join(dir, 'agent.db'), '--clock', 'manual']
  // With its request log on, the agent says when a request reaches it: the kill lands
  // after the batch arrived and before it is answered.
  const agent = await startAgent(t, [...args, '--log-level', 'info'])
  let armed = false
  agent.onLine((line) => {
    if (armed && line.includes('"incoming request"')) agent.child.kill('SIGKILL')
  })
  // No retry, so the cut batch's failure is the kill's, not a retry's refused connection.
  const app = await openAgentApp(t, [{ cluster_uuid: cluster, urls: [agent.url] }], { retries: 0 })
  const volumes = topology.volumes.map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid }))

  // Batches of all 1,000 volumes, back to back: an edit with a new reserve_duration each
  // round, then enable or disable in turn; the sixth is cut. What each volume may show in
  // the end: the effect of its last acknowledged batch, or of the cut one (a batch may be
  // applied and its answer lost).
  const duration = new Map<string, Set<number>>()
  const state = new Map<string, Set<string>>()
  const record = (ledger: Map<string, Set<number | string>>, items: Item[], effect: number | string) => {
    for (const { scode, data } of items) {
      if (scode === 0) ledger.set(data.volume_uuid, new Set([effect]))
      else ledger.get(data.volume_uuid)?.add(effect)
    }
  }
  const answers: Array<{ status: number, scodes: number[], desc?: string }> = []
  for (let round = 0; round < 6; round++) {
    const edit = round % 2 === 0
    const reserveDuration = 86400 + round
    armed = round === 5
    const { status, body } = edit
      ? await call(app, 'POST', `${CDP}/edit`, { ...POLICY, reserve_duration: reserveDuration, volumes })
      : await call(app, 'POST', `${CDP}/${round % 4 === 1 ? 'enable' : 'disable'}`, { volumes })
    const items = (body.data?.results ?? []) as Item[]
    answers.push({ status, scodes: items.map((item) => item.scode), desc: items.find((item) => item.scode !== 0)?.desc })
    if (edit) record(duration, items, reserveDuration)
    else record(state, items, round % 4 === 1 ? 'on' : 'off')
  }

  t.ok(answers.every((a) => a.status === 200 && a.scodes.length === 1000), 'every batch answered 200 with 1,000 results')
  t.ok(answers.every((a) => a.scodes.every((s) => s === 0 || AGENT_SCODES.includes(s))), 'each item ok or an AGENT_* scode')
  t.ok(answers.slice(0, 5).every((a) => a.scodes.every((s) => s === 0)), 'the batches before the kill all succeeded')
  t.ok(answers[5]?.scodes.every((s) => s === Scode.AGENT_UNREACHABLE.scode), `the cut batch: every item AGENT_UNREACHABLE (${answers[5]?.desc ?? ''})`)

  await startAgent(t, [...args, '--port', new URL(agent.url).port])
  const list = await call(app, 'GET', `${CDP}/list?cluster_uuid=${cluster}&page_size=0`)
  t.equal(list.status, 200, 'the same API answers again once the agent is back')
  t.equal(list.body.data.TotalCount, 1000)
  const lost = (list.body.data.List as Array<{ volume_uuid: string, reserve_duration: number, cdp_state: string }>).filter((item) =>
    duration.get(item.volume_uuid)?.has(item.reserve_duration) !== true || state.get(item.volume_uuid)?.has(item.cdp_state) !== true)
  t.same(lost, [], 'every volume shows its last acknowledged policy and state (or a later unacknowledged one)')
  const again = await call(app, 'POST', `${CDP}/enable`, { volumes })
  t.ok(again.body.data.results.every((item: Item) => item.scode === 0), 'a batch succeeds again')
})

t.test('an agent that accepts and never answers: AGENT_TIMEOUT 504 envelope, not a hang', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => { sockets.add(socket) })
  silent.listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => silent.close(resolve))
  })
  const app = await openAgentApp(t, demoOn(`http://127.0.0.1:${(silent.address() as AddressInfo).port}`), { timeoutMs: 200, retries: 1 })

  const info = await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`)
  t.equal(info.status, 504)
  t.match(info.body, { scode: Scode.AGENT_TIMEOUT.scode, message: Scode.AGENT_TIMEOUT.message, message_cn: Scode.AGENT_TIMEOUT.message_cn, stack: null, data: null })
  const edit = await call(app, 'POST', `${CDP}/edit`, { ...POLICY, volumes: [volume(DEMO.cdp1)] })
  t.equal(edit.status, 200)
  t.match(edit.body.data, { success: 0, fail: 1, results: [{ scode: Scode.AGENT_TIMEOUT.scode }] })
  const list = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`)
  t.equal(list.status, 200)
  t.match(list.body.data, { TotalCount: 0, each_range_list_state: [{ namespace_uuid: '', total_count: 0, result: { scode: Scode.AGENT_TIMEOUT.scode } }] })
})

t.test('one namespace\'s agent down: the other\'s volumes are served, the down one\'s fail with AGENT_UNREACHABLE; back on its db, all succeed', async (t) => {
  const dir = tempDir(t, 'cdp-agent-split-')
  const kenArgs = ['--namespace', DEMO.namespace, '--db', join(dir, 'ken.db'), '--clock', 'manual']
  const ken = await startAgent(t, kenArgs)
  const lin = await startAgent(t, ['--namespace', DEMO.linNamespace, '--db', join(dir, 'lin.db'), '--clock', 'manual'])
  const routes: AgentRoute[] = [
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace], urls: [ken.url] },
    { cluster_uuid: DEMO.cluster, urls: [lin.url] }
  ]
  const app = await openAgentApp(t, routes, { retries: 1 })
  const volumes = [DEMO.vol1, DEMO.linVolume, DEMO.cdp1, DEMO.linData].map((uuid) => volume(uuid))
  const edit = async () => await call(app, 'POST', `${CDP}/edit`, { ...POLICY, volumes })
  t.same((await edit()).body.data.results.map((r: Item) => r.scode), [0, 0, 0, 0], 'both agents up: all edited')

  await ken.stop('SIGKILL')
  const list = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_size=0`)
  t.equal(list.status, 200)
  t.same(list.body.data.List.map((i: { volume_name: string }) => i.volume_name), ['lin-data', 'lin-vm-1-volume1-0'], 'the healthy range\'s volumes')
  t.equal(list.body.data.TotalCount, 2)
  t.match(list.body.data.each_range_list_state, [
    { namespace_uuid: DEMO.namespace, total_count: 0, result: { scode: Scode.AGENT_UNREACHABLE.scode, message: Scode.AGENT_UNREACHABLE.message } },
    { namespace_uuid: DEMO.linNamespace, total_count: 2, result: { scode: 0 } }
  ], 'the failed range is marked with its error')
  const during = await edit()
  t.equal(during.status, 200)
  t.same(during.body.data.results.map((r: Item) => r.scode), [5002, 0, 5002, 0], 'batch: the down agent\'s volumes AGENT_UNREACHABLE, the others ok')
  t.match(during.body.data, { success: 2, fail: 2 })
  const info = await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.vol1}`)
  t.equal(info.status, 502)
  t.match(info.body, { scode: Scode.AGENT_UNREACHABLE.scode, message_cn: Scode.AGENT_UNREACHABLE.message_cn, stack: null, data: null })
  const view = await call(app, 'POST', `${CDP}/view`, { ...volume(DEMO.cdp1), op: 'off' })
  t.equal(view.status, 502, 'a non-idempotent call to the down agent: 502 too')
  t.equal((await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.linData}`)).status, 200, 'the healthy agent\'s volume answers')

  await startAgent(t, [...kenArgs, '--port', new URL(ken.url).port])
  t.same((await edit()).body.data.results.map((r: Item) => r.scode), [0, 0, 0, 0], 'the agent back: all edited again')
  const after = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_size=0`)
  t.equal(after.body.data.TotalCount, 4, 'both ranges, the restarted agent\'s from its database')
  t.ok(after.body.data.each_range_list_state.every((r: { result: { scode: number } }) => r.result.scode === 0))
  t.equal((await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.vol1}`)).status, 200)
})

t.test('an agent answering garbage: the API answers a 502 envelope, never a 500', async (t) => {
  const agent = await startFakeAgent(t, ({ op }) => op === '/health' ? ok({ protocol: 1 }) : { status: 500, body: '<html>oops</html>' })
  const app = await openAgentApp(t, demoOn(agent.url), { retries: 0 })
  const info = await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`)
  t.equal(info.status, 502)
  t.match(info.body, { scode: Scode.AGENT_BAD_RESPONSE.scode, message: Scode.AGENT_BAD_RESPONSE.message, stack: null, data: null })
  const revert = await call(app, 'POST', `${CDP}/revert`, { ...volume(DEMO.cdp1), snapshot_name: 'CDP-auto-1630053321', timestamp: '1630053321000000000' })
  t.equal(revert.status, 502)
  t.equal(revert.body.scode, Scode.AGENT_BAD_RESPONSE.scode)
  const enable = await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  t.equal(enable.status, 200)
  t.match(enable.body.data.results, [{ scode: Scode.AGENT_BAD_RESPONSE.scode, data: { volume_uuid: DEMO.cdp1 } }])
})
