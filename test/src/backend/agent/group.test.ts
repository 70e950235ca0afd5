// Group calls and changes over the agent protocol: a group goes whole to every agent of the
// cluster; only an agent that has every volume applies it, so volumes on two agents are
// GROUP_SPANS_AGENTS (nothing changed anywhere); an agent without the operations is
// AGENT_OPERATION_UNSUPPORTED; an agent that is down is each volume's failure.
import t from 'tap'
import { buildApp } from '../../../../src/app.js'
import { Scode } from '../../../../src/errors.js'
import { CDP, call } from '../../../helpers/app.js'
import { GROUP } from '../../../helpers/group.js'
import { type Reply, type Seen, agentBackend, fail, failure, freePort, identity, ok, startAgent, wholeCluster } from '../../../helpers/fake-agent.js'
import { DEMO } from '../../../helpers/demo.js'

/** `other` serves the cluster's second namespace, `main` the rest. */
const split = (main: string, other: string) => [{ cluster_uuid: DEMO.cluster, namespaces: [DEMO.linNamespace], urls: [other] }, ...wholeCluster(main)]

const refs = [GROUP.data, GROUP.log].map((uuid) => ({ cluster_uuid: DEMO.cluster, volume_uuid: uuid }))

/** An agent that has `has`, answering group calls as a real one does: all or nothing. */
function groupAgent (has: readonly string[]) {
  return (seen: Seen): Reply => {
    if (seen.op === '/group/members') return has.length === 0 ? fail('VM_NOT_FOUND', seen.body.vm_uuid) : ok({ volumes: has.map((uuid) => ({ cluster_uuid: DEMO.cluster, volume_uuid: uuid })) })
    const asked = (seen.body.volumes as Array<{ volume_uuid: string }>).map((v) => v.volume_uuid)
    const whole = asked.every((uuid) => has.includes(uuid))
    return ok({
      time: whole ? 77 : 0,
      results: asked.map((uuid) => ({
        scode: has.includes(uuid) ? (whole ? 0 : Scode.GROUP_NOT_APPLIED.scode) : Scode.VOLUME_NOT_FOUND.scode,
        desc: '',
        volume: identity(uuid),
        snapshot_name: has.includes(uuid) ? 'CDP-auto-1630053321' : '',
        host_uuid: ''
      }))
    })
  }
}

t.test('a group one agent serves is applied by that agent; the others answered not found and changed nothing', async (t) => {
  const a = await startAgent(t, groupAgent([GROUP.data, GROUP.log]))
  const b = await startAgent(t, groupAgent([]))
  const backend = agentBackend(t, split(a.url, b.url))
  const { time, outcomes } = await backend.groupRevert(refs, 5n)
  t.same([time, outcomes.map((o) => [o.ok, o.snapshot_name])], [77n, [[true, 'CDP-auto-1630053321'], [true, 'CDP-auto-1630053321']]])
  t.same([a.count('/group/revert'), b.count('/group/revert')], [1, 1])
  t.same(await backend.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm }), refs)
})

t.test('a group whose volumes two agents serve is GROUP_SPANS_AGENTS, 409, by volumes or by vm_uuid', async (t) => {
  const a = await startAgent(t, groupAgent([GROUP.data]))
  const b = await startAgent(t, groupAgent([GROUP.log]))
  const app = await buildApp({ backend: agentBackend(t, split(a.url, b.url)) })
  t.teardown(() => app.close())
  const byVolumes = await call(app, 'POST', `${CDP}/group/revert`, { cluster_uuid: DEMO.cluster, volumes: refs, timestamp: 5 })
  t.match(byVolumes, { status: 409, body: { scode: Scode.GROUP_SPANS_AGENTS.scode, data: null } })
  const byVm = await call(app, 'POST', `${CDP}/group/view`, { cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm, op: 'on', timestamp: 5 })
  t.match(byVm, { status: 409, body: { scode: Scode.GROUP_SPANS_AGENTS.scode } })
  t.same([a.count('/group/view/on'), b.count('/group/view/on')], [0, 0], 'a VM on two agents is refused before any agent is asked to change')
})

t.test('an agent that lacks the operations (ROUTE_NOT_FOUND) is AGENT_OPERATION_UNSUPPORTED, 501', async (t) => {
  const agent = await startAgent(t, (seen) => fail('ROUTE_NOT_FOUND', `POST /agent/v1${seen.op}`))
  const app = await buildApp({ backend: agentBackend(t, wholeCluster(agent.url)) })
  t.teardown(() => app.close())
  t.match(await call(app, 'POST', `${CDP}/group/revert`, { cluster_uuid: DEMO.cluster, volumes: refs, timestamp: 5 }), { status: 501, body: { scode: 5030, data: null } })
  t.match(await call(app, 'GET', `${CDP}/changes?cluster_uuid=${DEMO.cluster}&volume_uuid=${GROUP.data}&from=1&to=2`), { status: 501, body: { scode: 5030, data: null } })
  t.equal(agent.count('/changes'), 1, 'not retried')
})

t.test('the agent serving the group is down: each volume carries that failure; a VM\'s members are not guessed', async (t) => {
  const down = `http://127.0.0.1:${await freePort()}`
  const b = await startAgent(t, groupAgent([]))
  const backend = agentBackend(t, split(down, b.url), { retries: 0 })
  const { time, outcomes } = await backend.groupViewOn(refs, 5n)
  t.same([time, outcomes.map((o) => o.ok ? 'ok' : o.error.code)], [0n, ['AGENT_UNREACHABLE', 'AGENT_UNREACHABLE']])
  t.equal((await failure(backend.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm }))).code, 'AGENT_UNREACHABLE')
})
