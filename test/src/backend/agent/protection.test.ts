// AgentBackend.protection against fake agents: one request per agent whatever clusters it
// serves, standings merged by volume_uuid and cut to the limit, the volumes past it counted;
// an agent that fails, is down, or lacks the operation is counted and the others still count;
// an answer that breaks the protocol is a failure of that agent only.
import t from 'tap'
import { fail, ok, startAgent, agentBackend, freePort, type Seen } from '../../../helpers/fake-agent.js'
import { DEMO } from '../../../helpers/demo.js'

const OTHER_CLUSTER = '1f0c6a52-3b7e-4d2a-9c8e-5a4b3c2d1e0f'
const standing = (uuid: string) => ({ volume_uuid: uuid, configured_seconds: 86400, actual_seconds: 60, on_seconds: 60, trimmed_by_capacity: false })
const uuid = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

/** An agent with these volumes, answering the first `limit` by uuid as the protocol says. */
const having = (uuids: string[]) => (seen: Seen) => {
  const sorted = [...uuids].sort()
  return ok({ total_count: sorted.length, volumes: sorted.slice(0, seen.body.limit as number).map(standing) })
}

t.test('standings of every agent, merged by volume uuid and cut to the limit; the rest counted', async (t) => {
  const a = await startAgent(t, having([uuid(5), uuid(1), uuid(3)]))
  const b = await startAgent(t, having([uuid(4), uuid(2)]))
  // b serves two clusters: it is still asked once.
  const backend = agentBackend(t, [
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace], urls: [a.url] },
    { cluster_uuid: DEMO.cluster, urls: [b.url] },
    { cluster_uuid: OTHER_CLUSTER, urls: [b.url] }
  ])
  const all = await backend.protection(10)
  t.same(all.volumes.map((v) => v.volume_uuid), [1, 2, 3, 4, 5].map(uuid))
  t.same([all.omitted, all.unanswered], [0, 0])
  t.equal(all.volumes[0]?.configured_seconds, 86400n, 'uint64 fields decoded')
  const three = await backend.protection(3)
  t.same(three.volumes.map((v) => v.volume_uuid), [1, 2, 3].map(uuid))
  t.equal(three.omitted, 2, 'each agent fits in 3; the merge leaves out 2')
  t.same([a.count('/protection'), b.count('/protection')], [2, 2])
  t.same(a.seen.map((s) => s.body), [{ limit: 10 }, { limit: 3 }])
})

t.test('a failing, a down and an old agent are counted; a bad answer fails only its agent', async (t) => {
  const good = await startAgent(t, having([uuid(1)]))
  const failing = await startAgent(t, () => fail('INTERNAL'))
  const old = await startAgent(t, () => fail('ROUTE_NOT_FOUND'))
  const garbled = await startAgent(t, () => ok({ total_count: 1, volumes: [{ volume_uuid: uuid(9) }] }))
  const down = `http://127.0.0.1:${await freePort()}`
  const backend = agentBackend(t, [good, failing, old, garbled].map((agent) => ({ cluster_uuid: DEMO.cluster, urls: [agent.url] }))
    .map((route, i) => i === 0 ? route : { ...route, namespaces: [uuid(100 + i)] })
    .concat([{ cluster_uuid: OTHER_CLUSTER, urls: [down] }]), { retries: 0 })
  const survey = await backend.protection(10)
  t.same(survey.volumes.map((v) => v.volume_uuid), [uuid(1)])
  t.equal(survey.unanswered, 4)
})

t.test('an agent with more than the limit counts what it left out: every volume is either listed or omitted', async (t) => {
  const a = await startAgent(t, having([1, 3, 5, 7].map(uuid)))
  const b = await startAgent(t, having([2, 4].map(uuid)))
  const backend = agentBackend(t, [
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace], urls: [a.url] },
    { cluster_uuid: DEMO.cluster, urls: [b.url] }
  ])
  const two = await backend.protection(2)
  t.same(two.volumes.map((v) => v.volume_uuid), [1, 2].map(uuid))
  t.equal(two.omitted, 4, 'a left out 5 and 7, the merge 3 and 4')
})

t.test('a volume two agents both report (one spelling it in upper case) is one standing', async (t) => {
  const a = await startAgent(t, having([uuid(1), uuid(2)]))
  const b = await startAgent(t, having([uuid(2).toUpperCase()]))
  const backend = agentBackend(t, [
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace], urls: [a.url] },
    { cluster_uuid: DEMO.cluster, urls: [b.url] }
  ])
  const survey = await backend.protection(10)
  t.same(survey.volumes.map((v) => v.volume_uuid.toLowerCase()), [1, 2].map(uuid))
  t.same([survey.omitted, survey.unanswered], [0, 0])
})
