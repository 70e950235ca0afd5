// Deep pages across agents when an agent fails: a probe that fails once is retried by the
// client and the page is whole; an agent that is down, or fails midway, is its ranges'
// error while the other agents' page is sought on; a plain-v1 agent among cursor agents, or
// one that answers the cursor without `before`, gets the plain way. In every case the page is what the
// plain way (every agent asked for everything up to the page) gives, and only the cases
// with a plain agent ask any agent for a long list.
import t from 'tap'
import { LIST_PAGE_ITEMS } from '../../../../src/backend/agent/answer-limits.js'
import { AgentFeature } from '../../../../src/backend/agent/protocol.js'
import type { ListResult } from '../../../../src/backend/port.js'
import { fail, freePort, type FakeAgent } from '../../../helpers/fake-agent.js'
import { backendOver, mergedList, namesOf, page, plainV1, relay, startSimAgent, type Placed, type SimAgent } from '../../../helpers/seek-agents.js'

/** Volumes per agent: with one agent out, a page past LIST_PAGE_ITEMS still holds items. */
const VOLUMES = 800
const DEEP = page(150, 10)

/** The longest list any of `fakes` was asked for. */
const longest = (fakes: readonly FakeAgent[]): number =>
  Math.max(...fakes.flatMap((fake) => fake.seen.filter(({ op }) => op === '/list').map(({ body }) => Number(body.limit))))

/** The ranges' errors, by namespace (the desc names the agent's URL, which differs between setups). */
const errorsOf = (result: ListResult) => result.each_range_list_state.map(({ namespace_uuid: ns, error }) => [ns, error?.code])

t.test('a probe that fails once is retried: the page is the whole merged page, and no agent is asked for a long list', async (t) => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i, VOLUMES))))
  let failed = false
  const relays = await Promise.all(agents.map(async (agent, i) => await relay(t, agent, ({ op, body }) => {
    // Agent 1's first probe (an offset into its list) is reset.
    if (i !== 1 || op !== '/list' || body.offset === undefined || failed) return undefined
    failed = true
    return 'reset'
  })))
  const backend = backendOver(t, relays, { retries: 1 })
  const merged = await mergedList(agents)
  const sought = await backend.list(DEEP)
  t.ok(failed, 'a probe failed')
  t.strictSame(sought.List, merged.slice(1500, 1510))
  t.equal(sought.TotalCount, merged.length)
  t.ok(sought.each_range_list_state.every((range) => range.error === undefined), 'no range has an error')
  t.ok(longest(relays.map(({ fake }) => fake)) < LIST_PAGE_ITEMS, `longest list asked: ${longest(relays.map(({ fake }) => fake))}`)
})

t.test('an agent that is down is its range\'s error; the others\' page is the plain way\'s, sought with short asks', async (t) => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i, VOLUMES))))
  const down: Placed = { namespace: agents[1]?.namespace ?? '', url: `http://127.0.0.1:${await freePort()}` }
  const relays = await Promise.all([agents[0], agents[2]].map(async (agent) => await relay(t, agent as Placed)))
  const plain = await Promise.all([agents[0], agents[2]].map(async (agent) => await plainV1(t, agent as Placed)))
  const cursor = backendOver(t, [relays[0] as Placed, down, relays[1] as Placed])
  const plainWay = backendOver(t, [plain[0] as Placed, down, plain[1] as Placed])
  const others = await mergedList([agents[0], agents[2]] as SimAgent[])
  for (const pageNum of [150, 120, 101]) {
    const sought = await cursor.list(page(pageNum, 10))
    t.strictSame(sought, await plainWay.list(page(pageNum, 10)), `page ${pageNum}: the same result as the plain way, error included`)
    t.strictSame(sought.List, others.slice(pageNum * 10, pageNum * 10 + 10))
    t.strictSame(errorsOf(sought).filter(([, code]) => code !== undefined), [[down.namespace, 'AGENT_UNREACHABLE']])
  }
  t.ok(longest(relays.map(({ fake }) => fake)) < LIST_PAGE_ITEMS, `longest list asked: ${longest(relays.map(({ fake }) => fake))}`)
})

t.test('an agent that fails midway leaves the seek: its range carries its error and the others\' page is whole', async (t) => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i, VOLUMES))))
  // Agent 1 answers its first list request (the totals), then is unavailable.
  let answered = 0
  const relays = await Promise.all(agents.map(async (agent, i) => await relay(t, agent, ({ op }) =>
    i === 1 && op === '/list' && answered++ > 0 ? fail('BACKEND_UNAVAILABLE', 'draining') : undefined)))
  const unavailable = await relay(t, agents[1] as Placed, ({ op }) => op === '/list' ? fail('BACKEND_UNAVAILABLE', 'draining') : undefined)
  // The plain way: agents 0 and 2 speak plain v1, so no page is sought.
  const plainWay = backendOver(t, [await plainV1(t, agents[0] as Placed), unavailable, await plainV1(t, agents[2] as Placed)])
  const sought = await backendOver(t, relays).list(DEEP)
  t.ok(answered > 1, 'agent 1 answered, then failed')
  const plain = await plainWay.list(DEEP)
  t.strictSame(sought.List, plain.List)
  t.strictSame(errorsOf(sought), errorsOf(plain))
  t.strictSame(errorsOf(sought).filter(([, code]) => code !== undefined), [[agents[1]?.namespace, 'BACKEND_UNAVAILABLE']])
  t.ok(longest(relays.map(({ fake }) => fake)) < LIST_PAGE_ITEMS, `longest list asked: ${longest(relays.map(({ fake }) => fake))}`)
})

t.test('a plain-v1 agent among cursor agents: the page goes the plain way and is the merged page', async (t) => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i, VOLUMES))))
  const merged = await mergedList(agents)
  const backend = backendOver(t, [agents[0] as Placed, await plainV1(t, agents[1] as Placed), agents[2] as Placed])
  for (const pageNum of [150, 220]) t.strictSame((await backend.list(page(pageNum, 10))).List, merged.slice(pageNum * 10, pageNum * 10 + 10), `page ${pageNum}`)
})

t.test('an agent that lists the cursor but answers without `before` gets the plain way', async (t) => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i, VOLUMES))))
  const merged = await mergedList(agents)
  const replaced = await plainV1(t, agents[1] as Placed, [AgentFeature.listAfter])
  const backend = backendOver(t, [agents[0] as Placed, replaced, agents[2] as Placed])
  t.strictSame((await backend.list(DEEP)).List, merged.slice(1500, 1510))
  t.strictSame((await backend.list(DEEP)).List, merged.slice(1500, 1510), 'again')
})
