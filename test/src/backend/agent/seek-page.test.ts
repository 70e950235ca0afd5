// seekPage by itself, over agents held in memory (no sockets, so thousands of pages run in
// a second): whatever the lists and however their names interleave, the page found is the
// merged list's page, each agent's part starts exactly where its `before` says, the cost
// stays a few short asks per agent, and a pivot that proved right is remembered and used
// once. An agent that fails leaves the seek with its error; one that answers a cursor
// without `before` ends it. The lists' order is built by the test (each key's place in one
// global list), not taken from the code under test.
import t from 'tap'
import { deepStrictEqual, equal, ok } from 'node:assert/strict'
import fc from 'fast-check'
import { CdpError } from '../../../../src/errors.js'
import { CursorNotSpoken, PivotMemory, seekPage, type SeekAsk } from '../../../../src/backend/agent/list-seek.js'
import type { AgentAnswer } from '../../../../src/backend/agent/protocol.js'
import type { ListKey } from '../../../../src/list-order.js'
import type { ListQuery } from '../../../../src/backend/port.js'

type ListAnswer = AgentAnswer<'list'>
const CLUSTER = '0b3c6a52-94c5-4a1e-9f2f-1c7d3c1d0a01'
/** The most items one answer may hold: a list page. */
const PAGE_ITEMS = 1000
/** Ranks left to skip when the rest is fetched outright. */
const GAP = 64
const SEED = Number(process.env.SEEK_SEED ?? Date.now() % 1_000_000)

/**
 * The global list, in order by construction: each name three times (ties go by uuid, whose
 * first digit is the tie's rank), names ascending in their digits, a letter after them in
 * either case (code point order decides at the digits first).
 */
function globalList (length: number): ListKey[] {
  return Array.from({ length }, (_, i) => {
    const name = Math.floor(i / 3)
    return {
      volume_name: `vol-${String(name).padStart(6, '0')}${'AaBb'[name % 4] ?? ''}`,
      volume_uuid: `${i % 3}${String(i).padStart(7, '0')}-0000-4000-8000-000000000000`
    }
  })
}

/** Keys ordered by their place in the global list. */
function ordering (keys: readonly ListKey[]) {
  const place = new Map(keys.map((key, i) => [`${key.volume_name}/${key.volume_uuid}`, i]))
  const of = (key: ListKey): number => {
    const found = place.get(`${key.volume_name}/${key.volume_uuid}`)
    if (found === undefined) throw new Error(`a key the test never made: ${JSON.stringify(key)}`)
    return found
  }
  return { of, compare: (a: ListKey, b: ListKey) => of(a) - of(b) }
}

interface Agent {
  list: ListKey[]
  asks: SeekAsk[]
  answer: (ask: SeekAsk) => ListAnswer
}

/** An agent holding `list` (in order), answering as the protocol says, over two ranges. */
function agentOver (list: ListKey[], place: (key: ListKey) => number, speaksCursor = true): Agent {
  const agent: Agent = {
    list,
    asks: [],
    answer: (ask) => {
      agent.asks.push(ask)
      const { after } = ask
      const before = after === undefined ? 0 : agent.list.filter((key) => place(key) <= place(after)).length
      const start = before + (ask.offset ?? 0)
      const items = agent.list.slice(start, ask.limit === 0 ? undefined : start + ask.limit).map((key) => ({ ...key }))
      const half = Math.ceil(agent.list.length / 2)
      return {
        cluster: { uuid: CLUSTER, name: 'c', mode: '' },
        ranges: [{ namespace_uuid: 'a', total_count: half }, { namespace_uuid: 'b', total_count: agent.list.length - half }],
        items: items as unknown as ListAnswer['items'],
        ...(after === undefined || !speaksCursor ? {} : { before })
      }
    }
  }
  return agent
}

/**
 * From the first ask `when` holds for (the ask itself included), `agent` holds `list`: items
 * joined while the seek runs. Answers whether that ask came.
 */
function growsAt (agent: Agent, when: (ask: SeekAsk) => boolean, list: ListKey[]): () => boolean {
  const answer = agent.answer
  let grown = false
  agent.answer = (ask) => {
    if (!grown && when(ask)) {
      grown = true
      agent.list = list
    }
    return answer(ask)
  }
  return () => grown
}

/** The global list dealt out in runs: `runs` of [agent, length], in order. */
function dealt (runs: ReadonlyArray<readonly [number, number]>, agents: number) {
  const all = globalList(runs.reduce((sum, [, n]) => sum + n, 0))
  const lists: ListKey[][] = Array.from({ length: agents }, () => [])
  let next = 0
  for (const [agent, n] of runs) {
    for (let k = 0; k < n; k++) lists[agent % agents]?.push(all[next++] as ListKey)
  }
  return { all, lists }
}

const query = (pageNum: number, pageSize: number): ListQuery => ({ cluster_uuid: CLUSTER, page_num: pageNum, page_size: pageSize })

async function seek (agents: readonly Agent[], q: ListQuery, memory = new PivotMemory()) {
  return await seekPage(q, agents.length, 2, async (i, ask) => (agents[i] as Agent).answer(ask), memory)
}

/** What a seek gives as the API's page: the parts merged in list order, cut after `skipped`. */
function pageOf (sought: Awaited<ReturnType<typeof seek>>, q: ListQuery, compare: (a: ListKey, b: ListKey) => number): ListKey[] {
  const merged = sought.parts.flatMap((part) => part.ok ? part.value.items as unknown as ListKey[] : []).sort(compare)
  const from = q.page_num * q.page_size - sought.skipped
  return merged.slice(from, from + q.page_size).map(({ volume_name: name, volume_uuid: uuid }) => ({ volume_name: name, volume_uuid: uuid }))
}

const runs = (agents: number) => fc.array(fc.tuple(fc.integer({ min: 0, max: agents - 1 }), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 14 })
const deals = fc.integer({ min: 2, max: 4 }).chain((agents) => fc.tuple(fc.constant(agents), runs(agents)))
/** A page by its rank, drawn around the list's length (past the end too), of a size a seek is used for. */
const pages = (total: number) => fc.tuple(fc.integer({ min: 0, max: total + 50 }), fc.integer({ min: 1, max: 936 }))
  .map(([rank, size]) => [Math.floor(rank / size), size] as const)

t.test(`the page sought is the merged list's page, each part starting where its before says (seed ${SEED})`, async (t) => {
  await fc.assert(fc.asyncProperty(deals.chain(([agents, r]) => {
    const { all, lists } = dealt(r, agents)
    return fc.tuple(fc.constant({ all, lists }), pages(all.length))
  }), async ([{ all, lists }, [pageNum, size]]) => {
    const { of, compare } = ordering(all)
    const agents = lists.map((list) => agentOver(list, of))
    const q = query(pageNum, size)
    const rank = pageNum * size
    const sought = await seek(agents, q)
    deepStrictEqual(pageOf(sought, q, compare), all.slice(rank, rank + size))
    ok(sought.skipped <= rank, 'never more skipped than the rank')
    let before = 0
    sought.parts.forEach((part, i) => {
      if (!part.ok) throw new Error('no agent failed')
      const list = lists[i] as ListKey[]
      const at = part.value.before ?? 0
      before += at
      const items = (part.value.items as unknown as ListKey[]).map(of)
      deepStrictEqual(items, list.slice(at, at + items.length).map(of), `agent ${i}: its part follows its before`)
      equal(part.value.ranges.reduce((sum, range) => sum + range.total_count, 0), list.length, `agent ${i}: its totals`)
    })
    equal(before, sought.skipped, 'skipped is what the parts\' before add up to')
  }), { seed: SEED, numRuns: 80 })
  t.pass('every run held')
})

t.test(`a cold page costs each agent one ask, two a probe round for at most eight rounds, and a fetch a page at a time (seed ${SEED})`, async (t) => {
  await fc.assert(fc.asyncProperty(deals.chain(([agents, r]) => {
    const { all, lists } = dealt(r, agents)
    return fc.tuple(fc.constant({ all, lists }), pages(all.length))
  }), async ([{ all, lists }, [pageNum, size]]) => {
    const { of } = ordering(all)
    const agents = lists.map((list) => agentOver(list, of))
    await seek(agents, query(pageNum, size))
    // The fetch is one ask, and one more for each full page it takes to reach the page's end.
    const fetch = 1 + Math.floor((pageNum * size + size) / PAGE_ITEMS)
    for (const agent of agents) {
      ok(agent.asks.length <= 1 + 2 * 8 + fetch, `asks: ${agent.asks.length}`)
      ok(agent.asks.every((ask) => ask.limit >= 1 && ask.limit <= PAGE_ITEMS), 'every ask is of one item to a page')
      deepStrictEqual(agent.asks[0], { limit: 1 }, 'the first ask is the top item, for the totals')
    }
  }), { seed: SEED, numRuns: 50 })
  t.pass('every run held')
})

t.test('a page whose rank is at most 64 from the top is fetched outright after the first asks; one rank deeper is probed', async (t) => {
  const { all, lists } = dealt([[0, 300], [1, 300], [2, 300]], 3)
  const { of, compare } = ordering(all)
  for (const [pageNum, size] of [[0, 10], [6, 10], [1, GAP], [2, GAP / 2], [GAP + 1, 1], [5, 13]] as const) {
    const agents = lists.map((list) => agentOver(list, of))
    const q = query(pageNum, size)
    t.strictSame(pageOf(await seek(agents, q), q, compare), all.slice(pageNum * size, (pageNum + 1) * size))
    const rank = pageNum * size
    for (const agent of agents) {
      if (rank <= GAP) t.strictSame(agent.asks, [{ limit: 1 }, { limit: rank + size }], `rank ${rank}: no probe`)
      else t.ok(agent.asks.some((ask) => ask.offset !== undefined), `rank ${rank}: probed`)
    }
  }
  // The first page of one item is the top item, which the first ask (for the totals) holds.
  const agents = lists.map((list) => agentOver(list, of))
  t.strictSame(pageOf(await seek(agents, query(0, 1)), query(0, 1), compare), all.slice(0, 1))
  for (const agent of agents) t.strictSame(agent.asks, [{ limit: 1 }], 'the first page of one: only the first ask')
})

t.test('a page inside the list remembers the key just before it; the next call of that rank asks each agent once from there', async (t) => {
  const { all, lists } = dealt([[0, 700], [1, 500], [2, 900], [0, 300], [1, 200]], 3)
  const { of, compare } = ordering(all)
  const memory = new PivotMemory()
  for (const [pageNum, size] of [[150, 10], [37, 40], [1, 1500 / 2], [259, 10]] as const) {
    const q = query(pageNum, size)
    const rank = pageNum * size
    t.strictSame(pageOf(await seek(lists.map((list) => agentOver(list, of)), q, memory), q, compare), all.slice(rank, rank + size))
    t.strictSame(memory.get(q, rank), all[rank - 1], `page ${pageNum} of ${size}: the pivot is item ${rank - 1}`)
    const warm = lists.map((list) => agentOver(list, of))
    t.strictSame(pageOf(await seek(warm, q, memory), q, compare), all.slice(rank, rank + size), 'the same page warm')
    for (const agent of warm) t.strictSame(agent.asks, [{ after: all[rank - 1], limit: size }], 'one ask after the pivot')
  }
  // One agent: its probe is aimed at all the ranks less one, so it lands on the item just
  // before the page, and that pivot leaves nothing to skip. It is the key remembered.
  const one = globalList(2000)
  const only = ordering(one)
  const alone = new PivotMemory()
  const q = query(150, 10)
  t.strictSame(pageOf(await seek([agentOver(one, only.of)], q, alone), q, only.compare), one.slice(1500, 1510))
  t.strictSame(alone.get(q, 1500), one[1499], 'one agent: the pivot is item 1499')
})

t.test('the first page, and a page at or past the end, remember nothing', async (t) => {
  const { all, lists } = dealt([[0, 1200], [1, 1300]], 2)
  const { of } = ordering(all)
  for (const [pageNum, size] of [[0, 10], [250, 10], [251, 10], [5, 500]] as const) {
    const memory = new PivotMemory()
    const q = query(pageNum, size)
    const sought = await seek(lists.map((list) => agentOver(list, of)), q, memory)
    t.equal(memory.get(q, pageNum * size), undefined, `page ${pageNum} of ${size}`)
    if (pageNum * size >= all.length) {
      t.ok(sought.parts.every((part) => part.ok && part.value.items.length <= 1), 'past the end: only the first asks')
    }
  }
})

t.test('a remembered pivot that no longer adds up is checked and dropped: the page of the lists as they are now', async (t) => {
  await fc.assert(fc.asyncProperty(deals.chain(([agents, r]) => {
    const { all, lists } = dealt(r, agents)
    return fc.tuple(fc.constant({ all, lists }), pages(all.length), fc.array(fc.nat(), { maxLength: 20 }))
  }), async ([{ all, lists }, [pageNum, size], removed]) => {
    const { of, compare } = ordering(all)
    const memory = new PivotMemory()
    const q = query(pageNum, size)
    await seek(lists.map((list) => agentOver(list, of)), q, memory)
    const gone = new Set(removed.map((n) => all[n % all.length]))
    const now = lists.map((list) => list.filter((key) => !gone.has(key)))
    const rank = pageNum * size
    const sought = await seek(now.map((list) => agentOver(list, of)), q, memory)
    deepStrictEqual(pageOf(sought, q, compare), all.filter((key) => !gone.has(key)).slice(rank, rank + size))
  }), { seed: SEED, numRuns: 40 })
  t.pass('every run held')
})

t.test(`an agent that fails leaves the seek with its error; the page is the other agents' merged page (seed ${SEED})`, async (t) => {
  await fc.assert(fc.asyncProperty(deals.chain(([agents, r]) => {
    const { all, lists } = dealt(r, agents)
    return fc.tuple(fc.constant({ all, lists }), pages(all.length), fc.integer({ min: 0, max: agents - 1 }), fc.integer({ min: 1, max: 12 }))
  }), async ([{ all, lists }, [pageNum, size], failing, failAt]) => {
    const { of, compare } = ordering(all)
    const agents = lists.map((list) => agentOver(list, of))
    const error = new CdpError('AGENT_UNREACHABLE', 'down')
    const bad = agents[failing] as Agent
    const answer = bad.answer
    bad.answer = (ask) => {
      if (bad.asks.length + 1 >= failAt) {
        bad.asks.push(ask)
        throw error
      }
      return answer(ask)
    }
    const q = query(pageNum, size)
    const memory = new PivotMemory()
    const sought = await seek(agents, q, memory)
    const rank = pageNum * size
    const others = all.filter((key) => !(lists[failing] as ListKey[]).includes(key))
    const failed = sought.parts[failing]
    if (failed?.ok === false) {
      equal(failed.error, error, 'its part is its error')
      equal(memory.get(q, rank), undefined, 'a page found without an agent is not remembered')
      deepStrictEqual(pageOf(sought, q, compare), others.slice(rank, rank + size))
      equal(bad.asks.length, failAt, 'it is asked nothing after it failed')
    } else {
      ok(bad.asks.length < failAt, 'it answered every ask')
      deepStrictEqual(pageOf(sought, q, compare), all.slice(rank, rank + size))
    }
    ok(sought.parts.every((part, i) => i === failing || part.ok), 'the others answered')
  }), { seed: SEED, numRuns: 50 })
  t.pass('every run held')
})

t.test('an agent that answers a cursor without before ends the seek, naming itself', async (t) => {
  const { all, lists } = dealt([[0, 900], [1, 900], [2, 900]], 3)
  const { of } = ordering(all)
  const agents = lists.map((list, i) => agentOver(list, of, i !== 1))
  const err = await seek(agents, query(150, 10)).then(() => undefined, (e: unknown) => e)
  t.ok(err instanceof CursorNotSpoken)
  t.equal((err as CursorNotSpoken).agent, 1)
  t.match((err as Error).message, /\bagent 1\b/, 'its message names the agent')
  const memory = new PivotMemory()
  memory.set(query(150, 10), 1500, all[1499] as ListKey)
  const warm = await seek(agents, query(150, 10), memory).then(() => undefined, (e: unknown) => e)
  t.equal((warm as CursorNotSpoken).agent, 1, 'the remembered pivot\'s ask too')
})

// How the probes are aimed. The page is right however they land (the tests above); these say
// what a good aim saves: each agent is probed at its share of the ranks still to skip, and
// the furthest probe that cannot pass the page becomes the pivot. The expected figures are
// worked out by hand below from the lists' layout, not read back from the code.

/**
 * The asks that fetched after a pivot (the pivot checks), in the order they were sent: each
 * follows a probe and starts after a key that probe did not start after. A fetch a page at a
 * time can have the same limit (936 + 64 is a whole page) but never starts after a new key
 * straight after a probe: it starts where the last probe round did.
 */
const pivotChecks = (agent: Agent, size: number): SeekAsk[] => agent.asks.filter((ask, i) => {
  const probe = agent.asks[i - 1]
  return ask.after !== undefined && ask.limit === GAP + size && probe?.offset !== undefined && JSON.stringify(probe.after) !== JSON.stringify(ask.after)
})

t.test('lists that interleave one by one: one probe round, at each agent\'s share of the rank, lands within two items per agent of it', async (t) => {
  for (const [count, each, pageNum, size] of [[2, 1000, 100, 10], [3, 700, 41, 37], [4, 500, 1, 1200 / 2], [2, 1000, 1001, 1], [1, 2000, 150, 10]] as const) {
    const { all, lists } = dealt(Array.from({ length: count * each }, (_, i) => [i % count, 1] as const), count)
    const { of, compare } = ordering(all)
    const agents = lists.map((list) => agentOver(list, of))
    const q = query(pageNum, size)
    const rank = pageNum * size
    const sought = await seek(agents, q)
    t.strictSame(pageOf(sought, q, compare), all.slice(rank, rank + size))
    // Agent j's item at offset o is item o × count + j of all: with every agent probed at
    // o = floor((rank - count) / count), the first agent's probe has o × count + 1 <= rank
    // items at or before it and the next agent's probe would pass that by a whole share.
    const offset = Math.floor((rank - count) / count)
    const pivot = all[offset * count] as ListKey
    for (const agent of agents) {
      t.strictSame(agent.asks, [{ limit: 1 }, { offset, limit: 1 }, { after: pivot, limit: GAP + size }], `${count} agents, rank ${rank}: three asks`)
    }
    t.equal(sought.skipped, offset * count + 1, 'skipped: the pivot\'s place + 1')
    t.ok(sought.skipped > rank - 2 * count, 'within two items per agent of the rank')
  }
})

t.test('two lists one after the other: each round moves the pivot to the furthest probe that cannot pass the page', async (t) => {
  // Agent 0 holds items 0-999, agent 1 items 1000-1999; the page is at rank 1500.
  // Round 1: 1,498 ranks to aim (1,500 less one per agent), half each: offset 749. Agent 0's
  // probe (item 749) has at most 750 + 749 = 1,499 items at or before it: it fits; agent 1's
  // (item 1749) would have agent 0's whole 1,000 before it: it does not. Pivot: item 749.
  // Round 2: 750 left to skip, 748 to aim, shares 250 and 1,000 of 1,250: offsets 149 and 598;
  // agent 0's probe, item 899, has at most 150 + 598 = 748 <= 750: pivot item 899.
  const { all, lists } = dealt([[0, 1000], [1, 1000]], 2)
  const { of, compare } = ordering(all)
  const agents = lists.map((list) => agentOver(list, of))
  const q = query(150, 10)
  const sought = await seek(agents, q)
  t.strictSame(pageOf(sought, q, compare), all.slice(1500, 1510))
  const [first, second] = agents as [Agent, Agent]
  t.strictSame(first.asks.slice(0, 5), [{ limit: 1 }, { offset: 749, limit: 1 }, { after: all[749], limit: GAP + 10 }, { after: all[749], offset: 149, limit: 1 }, { after: all[899], limit: GAP + 10 }])
  t.strictSame(second.asks.slice(0, 5), [{ limit: 1 }, { offset: 749, limit: 1 }, { after: all[749], limit: GAP + 10 }, { after: all[749], offset: 598, limit: 1 }, { after: all[899], limit: GAP + 10 }])
})

t.test(`while the lists hold still, every pivot is further than the last and none passes the page (seed ${SEED})`, async (t) => {
  await fc.assert(fc.asyncProperty(deals.chain(([agents, r]) => {
    const { all, lists } = dealt(r, agents)
    return fc.tuple(fc.constant({ all, lists }), pages(all.length))
  }), async ([{ all, lists }, [pageNum, size]]) => {
    const { of } = ordering(all)
    const agents = lists.map((list) => agentOver(list, of))
    const rank = pageNum * size
    await seek(agents, query(pageNum, size))
    const pivots = pivotChecks(agents[0] as Agent, size).map((ask) => of(ask.after as ListKey))
    for (const agent of agents) deepStrictEqual(pivotChecks(agent, size).map((ask) => of(ask.after as ListKey)), pivots, 'every agent checks the same pivots')
    pivots.forEach((place, n) => {
      ok(place + 1 <= rank, `pivot ${n} (item ${place}) does not pass rank ${rank}`)
      if (n > 0) ok(place > (pivots[n - 1] as number), `pivot ${n} is further than the last`)
    })
  }), { seed: SEED, numRuns: 80 })
  t.pass('every run held')
})

t.test('a page the probes do not close in on is fetched a page at a time, each ask after the last item got, up to exactly what is wanted', async (t) => {
  // Agent 0's 3,000 items all come before agent 1's 30,000: aimed by share, agent 0 is probed
  // a tenth of the way each round, so eight rounds leave more than a page of ranks to fetch.
  const { all, lists } = dealt([[0, 3000], [1, 30000]], 2)
  const { of, compare } = ordering(all)
  const agents = lists.map((list) => agentOver(list, of))
  const q = query(250, 10)
  const sought = await seek(agents, q)
  t.strictSame(pageOf(sought, q, compare), all.slice(2500, 2510))
  const wanted = 2500 - sought.skipped + 10
  t.ok(wanted > PAGE_ITEMS, `more than a page is left to fetch: ${wanted}`)
  for (const [i, agent] of agents.entries()) {
    const list = lists[i] as ListKey[]
    const checks = pivotChecks(agent, 10)
    const pivot = checks[checks.length - 1]?.after as ListKey
    const fetch = agent.asks.slice(agent.asks.lastIndexOf(checks[checks.length - 1] as SeekAsk) + 1)
    // What the rule says the fetch is: from the pivot, a page at a time, each after the last item it got.
    const expected: SeekAsk[] = []
    let got = 0
    let after = pivot
    const start = list.filter((key) => of(key) <= of(pivot)).length
    for (;;) {
      const limit = Math.min(wanted - got, PAGE_ITEMS)
      expected.push({ after, limit })
      const items = list.slice(start + got, start + got + limit)
      got += items.length
      if (items.length < PAGE_ITEMS || got >= wanted) break
      after = items[items.length - 1] as ListKey
    }
    t.strictSame(fetch, expected, `agent ${i}: ${expected.length} asks`)
    t.equal(sought.parts[i]?.ok === true && sought.parts[i].value.items.length, got, `agent ${i}: every item got is in its part`)
  }
})

t.test('items added before the pivot while it is checked push it past the page: the seek starts again from the top and finds the page as the lists are now', async (t) => {
  // Agent 0 holds items 800-1799, agent 1 items 1800-2799; right after agent 0's probe
  // (item 1549, the pivot: 750 + 749 <= 1500), items 0-799 join agent 0, so the check says
  // 1,550 items are at or before the pivot, past the page at rank 1500.
  const all = globalList(2800)
  const { of, compare } = ordering(all)
  const agents = [all.slice(800, 1800), all.slice(1800)].map((list) => agentOver(list, of))
  const first = agents[0] as Agent
  growsAt(first, () => first.asks.length === 2, all.slice(0, 1800))
  const q = query(150, 10)
  const sought = await seek(agents, q)
  t.strictSame(pivotChecks(first, 10)[0], { after: all[1549], limit: GAP + 10 }, 'the first pivot was item 1549')
  t.strictSame(first.asks[3], { offset: Math.floor(1498 * 1800 / 2800), limit: 1 }, 'then a probe from the top, by the shares as they are now')
  t.ok(sought.skipped <= 1500)
  t.strictSame(pageOf(sought, q, compare), all.slice(1500, 1510))
})

t.test('a probe later than the smallest becomes the pivot when what may precede it still fits the rank exactly', async (t) => {
  // Agent 2 holds items 0-10, agent 0 items 11-1010, agent 1 items 1011-2010; rank 1500.
  // 1,497 ranks to aim over 2,011 items: offsets 744, 744 and 8 (items 755, 1755 and 8).
  // At or before item 755 there are at most 745 of agent 0's, 744 of agent 1's (its probe is
  // later) and all 11 of agent 2's: 1,500, exactly the rank, so it fits; item 1755 would have
  // all 1,000 of agent 0's before it and does not. Item 755 is further than item 8: the pivot.
  const all = globalList(2011)
  const { of, compare } = ordering(all)
  const agents = [all.slice(11, 1011), all.slice(1011), all.slice(0, 11)].map((list) => agentOver(list, of))
  const q = query(150, 10)
  const sought = await seek(agents, q)
  t.strictSame(pageOf(sought, q, compare), all.slice(1500, 1510))
  t.strictSame(agents.map((agent) => agent.asks[1]), [{ offset: 744, limit: 1 }, { offset: 744, limit: 1 }, { offset: 8, limit: 1 }])
  for (const agent of agents) t.strictSame(agent.asks[2], { after: all[755], limit: GAP + 10 }, 'the pivot is item 755')
})

t.test('with no more ranks left than agents, nothing is probed: the rest is fetched outright', async (t) => {
  // 70 agents of two items each, the page at rank 66 or 70: past the final gap of 64, but no
  // probe could be aimed (one probe per agent already takes up every rank, or more). At
  // rank 71 one rank is left to aim, and each agent is probed.
  const all = globalList(140)
  const { of, compare } = ordering(all)
  for (const rank of [66, 70, 71]) {
    const agents = Array.from({ length: 70 }, (_, i) => agentOver([all[i] as ListKey, all[70 + i] as ListKey], of))
    const q = query(rank, 1)
    t.strictSame(pageOf(await seek(agents, q), q, compare), all.slice(rank, rank + 1))
    for (const agent of agents) {
      if (rank <= 70) t.strictSame(agent.asks, [{ limit: 1 }, { limit: rank + 1 }], `rank ${rank}: the top, then everything down to the page`)
      else t.strictSame(agent.asks[1], { offset: 0, limit: 1 }, `rank ${rank}: probed`)
    }
  }
})

t.test('a fetch that ends on a page boundary asks no more once it has what is wanted', async (t) => {
  // Two agents of 2,500 items each, a (non-seekable) first page of 2,000: each agent is asked
  // for the top, then exactly two full pages.
  const { all, lists } = dealt([[0, 2500], [1, 2500]], 2)
  const { of, compare } = ordering(all)
  const agents = lists.map((list) => agentOver(list, of))
  const q = query(0, 2000)
  t.strictSame(pageOf(await seek(agents, q), q, compare), all.slice(0, 2000))
  for (const [i, agent] of agents.entries()) {
    t.strictSame(agent.asks, [{ limit: 1 }, { limit: PAGE_ITEMS }, { after: (lists[i] as ListKey[])[999], limit: PAGE_ITEMS }])
  }
})

t.test('items added before the pivot during the final fetch: each agent is fetched again from the top down to the page\'s end, and the page is the lists\' as they are now', async (t) => {
  // As in the fetch a page at a time above, agent 0's 3,000 items (2500-5499) all come before
  // agent 1's 30,000 (5500-35499), so eight rounds leave more than a page to fetch from the
  // pivot (itself at item 2500 or later). At agent 0's first ask of that fetch, items 0-2499
  // join it: the fetch says at least 2,501 items are at or before the pivot, past rank 2500.
  // The page is then items 2500-2509, all agent 0's; each agent sends its first 2,510 items.
  const all = globalList(35500)
  const { of, compare } = ordering(all)
  const agents = [all.slice(2500, 5500), all.slice(5500)].map((list) => agentOver(list, of))
  const first = agents[0] as Agent
  const added = growsAt(first, (ask) => ask.after !== undefined && ask.offset === undefined && ask.limit === PAGE_ITEMS, all.slice(0, 5500))
  const q = query(250, 10)
  const sought = await seek(agents, q)
  t.ok(added(), 'the fetch from the pivot was asked')
  t.equal(sought.skipped, 0, 'the page is counted from the top')
  t.strictSame(pageOf(sought, q, compare), all.slice(2500, 2510))
  for (const [i, agent] of agents.entries()) {
    const list = agent.list
    const top = agent.asks.slice(-3)
    t.strictSame(top, [{ limit: PAGE_ITEMS }, { after: list[999], limit: PAGE_ITEMS }, { after: list[1999], limit: 510 }], `agent ${i}: the top, a page at a time, 2,510 items`)
    t.equal(sought.parts[i]?.ok === true && sought.parts[i].value.items.length, 2510, `agent ${i}: its part holds them all`)
  }
})

t.test('an agent that fails at its probe holds no share from then on: the pivot is the furthest of the others\' probes that fits, and the page found without it is not remembered', async (t) => {
  // Agents 0, 1 and 2 hold items 0-999, 1000-1999 and 2000-2999; rank 1500. 1,497 ranks to
  // aim over 3,000 items: offset 499 each (items 499, 1499; agent 2's probe fails). Agent 2
  // being out, at or before item 1499 there are at most agent 0's 1,000 and 500 of agent 1's:
  // 1,500, so it fits and is the pivot. Had agent 2 kept its share of 1,000, neither probe
  // would fit. The check then says 1,000 + 500 = 1,500 are skipped, the page's rank: the page
  // is the others' items 1500-1509, from the checks' answers.
  const { all, lists } = dealt([[0, 1000], [1, 1000], [2, 1000]], 3)
  const { of, compare } = ordering(all)
  const agents = lists.map((list) => agentOver(list, of))
  const bad = agents[2] as Agent
  const answer = bad.answer
  const error = new CdpError('AGENT_UNREACHABLE', 'down')
  bad.answer = (ask) => {
    if (ask.offset === undefined) return answer(ask)
    bad.asks.push(ask)
    throw error
  }
  const memory = new PivotMemory()
  const q = query(150, 10)
  const sought = await seek(agents, q, memory)
  t.equal(sought.parts[2]?.ok === false && sought.parts[2].error, error, 'agent 2\'s part is its error')
  t.strictSame(pageOf(sought, q, compare), all.slice(1500, 1510))
  for (const agent of agents.slice(0, 2)) t.strictSame(agent.asks, [{ limit: 1 }, { offset: 499, limit: 1 }, { after: all[1499], limit: GAP + 10 }])
  t.strictSame(bad.asks, [{ limit: 1 }, { offset: 499, limit: 1 }], 'agent 2 is asked nothing after its probe')
  t.equal(sought.skipped, 1500)
  t.equal(memory.get(q, 1500), undefined, 'nothing remembered: the pivot was not checked against agent 2')
})

t.test('lists that shrank below every probe since their totals: no probe lands, and the rest is fetched outright from the last pivot (here the top)', async (t) => {
  // Agents 0 and 1 hold items 0-999 and 1000-1999; rank 1500: 1,498 ranks to aim, offset 749
  // each. From the probes on, each holds only its first 700 items, so neither probe finds one:
  // nothing is known about where the page is, and each agent is asked for everything down to
  // the page's end (1,510, its first 1,000, all it has). The 1,400 items now end before the page.
  const { all, lists } = dealt([[0, 1000], [1, 1000]], 2)
  const { of, compare } = ordering(all)
  const agents = lists.map((list) => agentOver(list, of))
  for (const agent of agents) growsAt(agent, (ask) => ask.offset !== undefined, agent.list.slice(0, 700))
  const q = query(150, 10)
  const sought = await seek(agents, q)
  t.strictSame(pageOf(sought, q, compare), [], 'past the end of the lists as they are now')
  t.equal(sought.skipped, 0)
  for (const [i, agent] of agents.entries()) {
    t.strictSame(agent.asks, [{ limit: 1 }, { offset: 749, limit: 1 }, { limit: PAGE_ITEMS }], `agent ${i}: the top, its probe, the fetch`)
    t.equal(sought.parts[i]?.ok === true && sought.parts[i].value.items.length, 700, `agent ${i}: all it holds now`)
  }
})

t.test('when no probe is known to fit (a list shrank since its totals), the next pivot is the smallest probe', async (t) => {
  // Agent 0 holds items 1000-1999, agent 1 items 0-999, agent 2 items 2000-2999; rank 1500:
  // 1,497 ranks to aim over 3,000 items, offset 499 each. From its probe on, agent 2 holds only
  // its first 400 items, so its probe finds none, and its whole share of 1,000 (by its totals)
  // may precede any probe. Agent 1's probe, item 499: at most 500 + 499 (agent 0's probe is
  // later) + 1,000 = 1,999; agent 0's, item 1499: at most 1,000 + 500 + 1,000 = 2,500. Neither
  // fits the 1,500 ranks; the smaller, item 499, is the pivot.
  const all = globalList(3000)
  const { of, compare } = ordering(all)
  const agents = [all.slice(1000, 2000), all.slice(0, 1000), all.slice(2000)].map((list) => agentOver(list, of))
  growsAt(agents[2] as Agent, (ask) => ask.offset !== undefined, all.slice(2000, 2400))
  const q = query(150, 10)
  const sought = await seek(agents, q)
  t.strictSame(agents.map((agent) => agent.asks[1]), [{ offset: 499, limit: 1 }, { offset: 499, limit: 1 }, { offset: 499, limit: 1 }])
  for (const agent of agents) t.strictSame(agent.asks[2], { after: all[499], limit: GAP + 10 }, 'the pivot is item 499')
  t.strictSame(pageOf(sought, q, compare), all.slice(1500, 1510), 'the page of the lists as they are now')
})

t.test('a page that starts exactly at the end of the lists as fetched remembers the key before it, the lists\' last item', async (t) => {
  // The key just before the page is remembered whenever the seek has it in hand (a page past
  // the end by the first totals fetches nothing, so has none: see above). Agents 0 and 1 hold
  // items 0-99 and 100-199; rank 50 is within the final gap, so after the totals each is asked
  // for its first 60. From that ask on agent 0 holds items 0-29 and agent 1 items 100-119: 50
  // items in all, the last item 119, and the page is empty. At or before item 119 there are
  // 30 + 20 = 50 items, the rank, so the next call takes it with one ask each.
  const all = globalList(200)
  const { of, compare } = ordering(all)
  const agents = [all.slice(0, 100), all.slice(100)].map((list) => agentOver(list, of))
  const now = [all.slice(0, 30), all.slice(100, 120)]
  agents.forEach((agent, i) => growsAt(agent, (ask) => ask.limit === 60, now[i] as ListKey[]))
  const memory = new PivotMemory()
  const q = query(5, 10)
  const sought = await seek(agents, q, memory)
  for (const agent of agents) t.strictSame(agent.asks, [{ limit: 1 }, { limit: 60 }])
  t.strictSame(pageOf(sought, q, compare), [])
  t.strictSame(memory.get(q, 50), all[119], 'the pivot is item 119')
  const warm = now.map((list) => agentOver(list, of))
  t.strictSame(pageOf(await seek(warm, q, memory), q, compare), [])
  for (const agent of warm) t.strictSame(agent.asks, [{ after: all[119], limit: 10 }], 'one ask after the pivot')
})
