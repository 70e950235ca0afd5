// Group calls and changes over the agent protocol: a group goes whole to every agent of the
// cluster; only an agent that has every volume applies it, so volumes on two agents are
// GROUP_SPANS_AGENTS (nothing changed anywhere); an agent without the operations is
// AGENT_OPERATION_UNSUPPORTED; an agent that is down is each volume's failure.
import t from 'tap'
import { buildApp } from '../../../../src/app.js'
import { identityFromRef } from '../../../../src/backend/identity.js'
import { CdpError, Scode } from '../../../../src/errors.js'
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
  t.match(byVolumes, { status: 409, body: { scode: Scode.GROUP_SPANS_AGENTS.scode, desc: 'the 2 volumes are served by 2 agents', data: null } })
  const byVm = await call(app, 'POST', `${CDP}/group/view`, { cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm, op: 'on', timestamp: 5 })
  t.match(byVm, { status: 409, body: { scode: Scode.GROUP_SPANS_AGENTS.scode, desc: `vm ${GROUP.vm} has volumes with CDP on 2 agents` } })
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
  const some = await startAgent(t, groupAgent([GROUP.log]))
  const partial = agentBackend(t, split(down, some.url), { retries: 0 })
  t.equal((await failure(partial.groupMembers({ cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm }))).code, 'AGENT_UNREACHABLE', 'not the volumes the other agent serves')
})

t.test('a volume no agent has: the group is not applied, that volume VOLUME_NOT_FOUND by its ref, or the failure of an agent that might have it', async (t) => {
  const a = await startAgent(t, groupAgent([GROUP.data]))
  const b = await startAgent(t, groupAgent([]))
  const gone = `http://127.0.0.1:${await freePort()}`
  const dataOutcome = { ok: false, volume: identity(GROUP.data), error: new CdpError('GROUP_NOT_APPLIED', ''), snapshot_name: 'CDP-auto-1630053321', host_uuid: '' }
  const logOutcome = (error: CdpError) => ({ ok: false, volume: identityFromRef(refs[1] as typeof refs[number]), error, snapshot_name: '', host_uuid: '' })
  t.strictSame(await agentBackend(t, split(a.url, b.url)).groupViewOff(refs), { time: 0n, outcomes: [dataOutcome, logOutcome(new CdpError('VOLUME_NOT_FOUND', GROUP.log))] })
  const withDown = await agentBackend(t, split(a.url, gone), { retries: 0 }).groupViewOff(refs)
  t.strictSame(withDown.outcomes[0], dataOutcome)
  t.match(withDown.outcomes[1], { ok: false, error: { code: 'AGENT_UNREACHABLE' }, snapshot_name: '', host_uuid: '' })
})

t.test('a group no agent answered fails whole, with the first route\'s failure', async (t) => {
  const hung = await startAgent(t, () => 'hang')
  const gone = `http://127.0.0.1:${await freePort()}`
  for (const [first, second, code] of [[hung.url, gone, 'AGENT_TIMEOUT'], [gone, hung.url, 'AGENT_UNREACHABLE']] as const) {
    const backend = agentBackend(t, split(second, first), { retries: 0, timeoutMs: 100 })
    t.equal((await failure(backend.groupRevert(refs, 5n))).code, code)
  }
})

t.test('a VM no agent serves is VM_NOT_FOUND naming it; an agent\'s other refusal is reported instead', async (t) => {
  const none = await startAgent(t, () => fail('VM_NOT_FOUND', 'none here'))
  const lost = await startAgent(t, () => fail('CLUSTER_NOT_FOUND', 'not my cluster'))
  const vm = { cluster_uuid: DEMO.cluster, vm_uuid: GROUP.vm }
  t.strictSame(await failure(agentBackend(t, split(none.url, none.url)).groupMembers(vm)), new CdpError('VM_NOT_FOUND', GROUP.vm))
  t.strictSame(await failure(agentBackend(t, split(lost.url, none.url)).groupMembers(vm)), new CdpError('CLUSTER_NOT_FOUND', 'not my cluster'))
})
