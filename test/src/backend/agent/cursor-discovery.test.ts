// What it costs to find out whether agents speak the list cursor, counted at the agents: an
// agent's `health` is asked once before its first deep page and then trusted, asked again
// only when it cannot have answered yet or once it broke its word; an agent that cannot say
// is sought with the rest; a plain-v1 agent sends the page the plain way at once, where no
// agent is ever asked for more than a page in one request. The pages are checked against
// the simulators' own lists merged in the test.
import t, { type Test } from 'tap'
import { LIST_PAGE_ITEMS } from '../../../../src/backend/agent/answer-limits.js'
import { AgentFeature } from '../../../../src/backend/agent/protocol.js'
import { startAgent, type FakeAgent, type Reply, type Seen } from '../../../helpers/fake-agent.js'
import { backendOver, mergedList, namesOf, page, passOn, plainV1, startSimAgent, type Placed } from '../../../helpers/seek-agents.js'

const VOLUMES = 800

/** A relay in front of `agent` that records the order of the operations it is asked; `script` may answer a request itself, or hold it back, before it is passed on (undefined: pass on). */
async function orderedRelay (t: Test, agent: Placed, script: (seen: Seen) => Promise<Reply | undefined> | Reply | undefined = () => undefined): Promise<Placed & { fake: FakeAgent, order: string[] }> {
  const order: string[] = []
  const fake = await startAgent(t, async (seen) => {
    order.push(seen.op)
    return (await script(seen)) ?? await passOn(agent.url, seen.op, seen.body)
  })
  return { namespace: agent.namespace, url: fake.url, fake, order }
}

/** The /list requests `fake` was sent. */
const lists = (fake: FakeAgent): Array<{ limit: number, offset?: number, after?: unknown }> =>
  fake.seen.filter(({ op }) => op === '/list').map(({ body }) => ({ ...body, limit: Number(body.limit) }))

/** The seek's asks: its first round asks every agent for one item. */
const seekAsks = (fake: FakeAgent): number => lists(fake).filter(({ limit, after }) => limit === 1 || after !== undefined).length

// Three simulator agents, started once: the tests only read their lists, each through relays of its own.
const shared = (async () => {
  const agents = await Promise.all([0, 1, 2].map(async (i) => await startSimAgent(t, namesOf(i, VOLUMES))))
  return { agents, merged: await mergedList(agents) }
})()

t.test('an agent that lists the cursor is asked its health once, before its first deep page; the pages after are sought without asking again', async (t) => {
  const { agents, merged } = await shared
  const relays = await Promise.all(agents.map(async (agent) => await orderedRelay(t, agent)))
  const backend = backendOver(t, relays)
  for (const pageNum of [150, 120, 101]) {
    t.strictSame((await backend.list(page(pageNum, 10))).List, merged.slice(pageNum * 10, pageNum * 10 + 10), `page ${pageNum}`)
  }
  for (const [i, relay] of relays.entries()) {
    t.equal(relay.order[0], '/health', `agent ${i}: health first`)
    t.equal(relay.fake.health.length, 1, `agent ${i}: health once for three pages`)
    t.ok(lists(relay.fake).every(({ limit }) => limit < LIST_PAGE_ITEMS), `agent ${i}: every page sought with short asks`)
  }
})

t.test('an agent whose background health has not answered yet is asked again before a deep page, not taken for plain v1', async (t) => {
  const { agents, merged } = await shared
  let release = (): void => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  // Each agent's first health (asked in the background once the shallow page's list answers) waits until the deep page is in.
  const relays = await Promise.all(agents.map(async (agent) => {
    let first = true
    return await orderedRelay(t, agent, async ({ op }) => {
      if (op !== '/health' || !first) return undefined
      first = false
      await held
      return undefined
    })
  }))
  const backend = backendOver(t, relays)
  t.strictSame((await backend.list(page(0, 10))).List, merged.slice(0, 10), 'a shallow page, asked the plain way')
  // The shallow page's answers set each agent's health going; it is held, so the deep page finds it unsaid.
  t.strictSame((await backend.list(page(150, 10))).List, merged.slice(1500, 1510), 'the deep page')
  release()
  for (const [i, relay] of relays.entries()) {
    t.ok(lists(relay.fake).every(({ limit }) => limit < LIST_PAGE_ITEMS), `agent ${i}: the deep page was sought, not asked the plain way`)
  }
})

t.test('an agent whose health fails is sought with the rest, and that health is not retried', async (t) => {
  const { agents, merged } = await shared
  const relays = await Promise.all(agents.map(async (agent, i) => {
    let failed = false
    return await orderedRelay(t, agent, ({ op }) => {
      // Agent 1's first health is a 503 without an envelope: a failure a retry would be allowed.
      if (i !== 1 || op !== '/health' || failed) return undefined
      failed = true
      return { status: 503, body: 'busy' }
    })
  }))
  const backend = backendOver(t, relays, { retries: 2 })
  t.strictSame((await backend.list(page(150, 10))).List, merged.slice(1500, 1510))
  const [, failing] = relays
  t.equal(failing?.order[0], '/health')
  t.equal(failing?.order[1], '/list', 'its next request is the seek\'s, not the health again')
  t.ok(lists(failing?.fake as FakeAgent).every(({ limit }) => limit < LIST_PAGE_ITEMS), 'it was sought')
})

t.test('a plain-v1 agent among cursor agents: the page goes the plain way at once, and no agent is sent a seek\'s ask', async (t) => {
  const { agents, merged } = await shared
  const cursor = await Promise.all([agents[0], agents[2]].map(async (agent) => await orderedRelay(t, agent as Placed)))
  const plain = await plainV1(t, agents[1] as Placed)
  const backend = backendOver(t, [cursor[0] as Placed, plain, cursor[1] as Placed])
  t.strictSame((await backend.list(page(150, 10))).List, merged.slice(1500, 1510))
  for (const fake of [cursor[0]?.fake, plain.fake, cursor[1]?.fake] as FakeAgent[]) {
    t.equal(seekAsks(fake), 0, `${fake.url}: no seek ask`)
    t.ok(lists(fake).length > 0 && lists(fake).every(({ limit }) => limit <= LIST_PAGE_ITEMS), `${fake.url}: at most a page per request`)
  }
})

t.test('plain-v1 agents are asked for a deep page a page at a time, never more than a page in one request', async (t) => {
  const { agents, merged } = await shared
  const plain = await Promise.all(agents.map(async (agent) => await plainV1(t, agent)))
  const backend = backendOver(t, plain)
  // Rank 1,800 + 10: past one agent's whole list, so each is asked from the top for 1,810.
  t.strictSame((await backend.list(page(180, 10))).List, merged.slice(1800, 1810))
  for (const { fake } of plain) {
    t.ok(lists(fake).every(({ limit }) => limit <= LIST_PAGE_ITEMS), `${fake.url}: ${JSON.stringify(lists(fake).map(({ limit }) => limit))}`)
  }
})

t.test('an agent that listed the cursor but answered without `before` is asked its health again before the next deep page', async (t) => {
  const { agents, merged } = await shared
  const replaced = await plainV1(t, agents[1] as Placed, [AgentFeature.listAfter])
  const backend = backendOver(t, [agents[0] as Placed, replaced, agents[2] as Placed])
  t.strictSame((await backend.list(page(150, 10))).List, merged.slice(1500, 1510))
  t.strictSame((await backend.list(page(120, 10))).List, merged.slice(1200, 1210))
  t.ok(replaced.fake.health.length >= 2, `its word was forgotten and asked again: ${replaced.fake.health.length} health requests`)
})
