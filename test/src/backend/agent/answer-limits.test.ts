// What one agent answer may cost: each is read only up to what its operation can need
// (exactly at the bound it is taken, one byte past it dropped), a body still arriving at the
// deadline is cut off, and a long list is asked for in pages and put together.
import t from 'tap'
import { FIXED_ANSWER_BYTES, ITEM_ANSWER_BYTES, LIST_PAGE_ITEMS, answerLimit } from '../../../../src/backend/agent/answer-limits.js'
import { operations, type AgentRequest, type Operation } from '../../../../src/backend/agent/protocol.js'
import type { AgentBackendOptions } from '../../../../src/backend/agent/backend.js'
import type { AgentRoute } from '../../../../src/backend/agent/routing.js'
import type { CdpListItem } from '../../../../src/backend/port.js'
import type { Teardown } from '../../../helpers/app.js'
import { agentBackend, batchFrom, failure, listItem, ok, startAgent, wholeCluster, type Reply, type Seen, type Written } from '../../../helpers/fake-agent.js'
import { DEMO } from '../../../helpers/demo.js'

const VOLUME = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }
const INFO = { cdp_info: [], host_uuid: '' }
const MiB = 1024 * 1024

/** No retries unless asked: each test counts what one attempt does. */
const backend = (t: Teardown, routes: AgentRoute[], options: Partial<AgentBackendOptions> = {}) =>
  agentBackend(t, routes, { timeoutMs: 5000, retries: 0, ...options })

/** The same answer padded with JSON whitespace to exactly `bytes` bytes. */
function padded (reply: Written, bytes: number): Written {
  const size = Buffer.byteLength(reply.body)
  if (size > bytes) throw new Error(`the answer alone is ${size} bytes`)
  return { ...reply, body: reply.body + ' '.repeat(bytes - size) }
}

/** A success envelope whose `data` never ends: `chunk` repeated up to `bytes`, counted in `sent`. */
function endless (bytes: number, sent: { bytes: number }) {
  return async function * () {
    const chunk = Buffer.from(' '.repeat(64 * 1024))
    yield '{"scode":0,"desc":"","message":"success","message_cn":"成功","stack":null,"data":{"host_uuid":"","cdp_info":[]'
    for (sent.bytes = 0; sent.bytes < bytes; sent.bytes += chunk.length) yield chunk
    yield '}}'
  }
}

t.test('an info answer of exactly the bound is taken; one byte more is AGENT_BAD_RESPONSE', async (t) => {
  const exact = await startAgent(t, () => padded(ok(INFO), FIXED_ANSWER_BYTES))
  t.strictSame(await backend(t, wholeCluster(exact.url)).info(VOLUME), INFO)
  const declared = await startAgent(t, () => ({ ...padded(ok(INFO), FIXED_ANSWER_BYTES), headers: { 'content-length': String(FIXED_ANSWER_BYTES) } }))
  t.strictSame(await backend(t, wholeCluster(declared.url)).info(VOLUME), INFO, 'and so is a content-length of exactly the bound')
  const over = await startAgent(t, () => padded(ok(INFO), FIXED_ANSWER_BYTES + 1))
  const err = await failure(backend(t, wholeCluster(over.url), { retries: 2 }).info(VOLUME))
  t.equal(err.code, 'AGENT_BAD_RESPONSE')
  t.equal(err.desc, `${over.url}: answer longer than ${FIXED_ANSWER_BYTES} bytes, more than a info answer can need`)
  t.equal(over.count('/info'), 1, 'not retried: asking again gets the same')
})

t.test('a 100 MB info answer is dropped while it streams, long before its end', async (t) => {
  const sent = { bytes: 0 }
  const agent = await startAgent(t, () => ({ status: 200, stream: endless(100 * MiB, sent) }))
  const err = await failure(backend(t, wholeCluster(agent.url)).info(VOLUME))
  t.equal(err.code, 'AGENT_BAD_RESPONSE')
  t.ok(sent.bytes < 16 * MiB, `the agent got to write ${(sent.bytes / MiB).toFixed(1)} MiB of its 100`)
})

t.test('a content-length over the bound is refused before any of the body is read', async (t) => {
  // The body never comes: only the declared length can end this call before the deadline.
  const agent = await startAgent(t, () => ({ status: 200, headers: { 'content-length': String(100 * MiB) }, stream: async function * () { yield '{' } }))
  const err = await failure(backend(t, wholeCluster(agent.url), { timeoutMs: 60_000 }).info(VOLUME))
  t.equal(err.code, 'AGENT_BAD_RESPONSE')
  t.match(err.desc, /answer longer than/)
})

t.test('a body still arriving at the deadline is cut off: AGENT_TIMEOUT', async (t) => {
  // A byte every 20 ms: never idle long enough for a per-chunk timeout, never done.
  const agent = await startAgent(t, () => ({
    status: 200,
    stream: async function * () {
      yield '{"scode":0'
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 20))
        yield ' '
      }
    }
  }))
  const err = await failure(backend(t, wholeCluster(agent.url), { timeoutMs: 300 }).info(VOLUME))
  t.equal(err.code, 'AGENT_TIMEOUT')
  t.equal(err.entry.status, 504)
})

t.test('a batch answer may grow by one item\'s worth per volume sent, and no more', async (t) => {
  const uuids = ['aaaaaaaa-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000002', 'cccccccc-0000-4000-8000-000000000003']
  const volumes = uuids.map((uuid) => ({ cluster_uuid: DEMO.cluster, volume_uuid: uuid }))
  const bound = FIXED_ANSWER_BYTES + uuids.length * ITEM_ANSWER_BYTES
  const exact = await startAgent(t, (seen) => padded(batchFrom(uuids)(seen) as Written, bound))
  t.match(await backend(t, wholeCluster(exact.url)).enable(volumes), [{ ok: true }, { ok: true }, { ok: true }])
  const over = await startAgent(t, (seen) => padded(batchFrom(uuids)(seen) as Written, bound + 1))
  const outcomes = await backend(t, wholeCluster(over.url)).enable(volumes)
  t.ok(outcomes.every((outcome) => !outcome.ok && outcome.error.code === 'AGENT_BAD_RESPONSE'), 'every volume of the batch fails')
})

t.test('each operation\'s bound: 4 MiB, and 4 KiB per volume of a batch, per standing asked of protection, per item asked of a list up to a page', async (t) => {
  // The bounds as the rule states them, not as answer-limits.ts computes them.
  const bound = (items: number) => 4 * MiB + items * 4 * 1024
  const volumes = [VOLUME, VOLUME, VOLUME]
  const batches = new Set<Operation>(['edit', 'enable', 'disable', 'groupViewOn', 'groupViewOff', 'groupRevert'])
  for (const op of Object.keys(operations) as Operation[]) {
    // Every field a bound could be read from, whatever the operation: only its own may count.
    const request = { volumes, limit: 7, cluster_uuid: DEMO.cluster } as unknown as AgentRequest<typeof op>
    const expected = op === 'list' || op === 'protection' ? 7 : batches.has(op) ? volumes.length : 0
    t.equal(answerLimit(op, request), bound(expected), op)
  }
  const list = (limit: number) => answerLimit('list', { cluster_uuid: DEMO.cluster, limit })
  t.equal(list(1000), bound(1000), 'a page of 1,000 items')
  t.equal(list(1001), bound(1000), 'a longer list is read a page at a time')
  t.equal(list(0), bound(1000), 'and so is all of it (limit 0)')
})

function item (i: number): CdpListItem {
  return { ...listItem(`vol-${String(i).padStart(6, '0')}`, `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`), reserve_capacity: 1073741824n }
}

/** An agent with `count` sorted items that honours `offset` and `limit`. */
function listing (count: number, page: (seen: Seen, items: CdpListItem[]) => CdpListItem[] = ({ body }, items) => {
  const from = Number(body.offset ?? 0)
  return body.limit === 0 ? items.slice(from) : items.slice(from, from + Number(body.limit))
}) {
  const items = Array.from({ length: count }, (_, i) => item(i))
  return (seen: Seen): Reply => ok({
    cluster: { uuid: DEMO.cluster, name: 'cluster_name_236', mode: '' },
    ranges: [{ namespace_uuid: DEMO.namespace, total_count: count }],
    items: page(seen, items)
  })
}

const asked = (seen: Seen[]) => seen.map(({ body }) => [body.offset, body.limit])

t.test('page_size 0 over 2,500 volumes is asked in pages of 1,000 and comes back whole, in order', async (t) => {
  const agent = await startAgent(t, listing(2500))
  const all = await backend(t, wholeCluster(agent.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.strictSame(asked(agent.seen), [[undefined, LIST_PAGE_ITEMS], [1000, LIST_PAGE_ITEMS], [2000, LIST_PAGE_ITEMS]])
  t.equal(all.TotalCount, 2500)
  t.strictSame(all.List.map((i) => i.volume_name), Array.from({ length: 2500 }, (_, i) => item(i).volume_name))
})

t.test('a list of exactly one page is one request: the total says it was all', async (t) => {
  const agent = await startAgent(t, listing(LIST_PAGE_ITEMS))
  const all = await backend(t, wholeCluster(agent.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.strictSame(asked(agent.seen), [[undefined, LIST_PAGE_ITEMS]], 'no second page asked')
  t.equal(all.List.length, LIST_PAGE_ITEMS)
})

t.test('a deep page (page_num 2, page_size 700) of one agent is asked as it is: offset 1,400, 700 items', async (t) => {
  // One agent's order is the merged order, so its page needs none of the items before it.
  const agent = await startAgent(t, listing(5000))
  const page = await backend(t, wholeCluster(agent.url)).list({ cluster_uuid: DEMO.cluster, page_num: 2, page_size: 700 })
  t.strictSame(asked(agent.seen), [[1400, 700]])
  t.strictSame(page.List.map((i) => i.volume_name), Array.from({ length: 700 }, (_, i) => item(1400 + i).volume_name))
  t.equal(page.TotalCount, 5000)
})

t.test('a page that fits in one request is asked as it is', async (t) => {
  const agent = await startAgent(t, listing(5000))
  await backend(t, wholeCluster(agent.url)).list({ cluster_uuid: DEMO.cluster, page_num: 1, page_size: 500 })
  t.strictSame(asked(agent.seen), [[undefined, 1000]])
})

t.test('an agent that ignores offset is caught by the repeated volumes: its range fails, nothing is doubled', async (t) => {
  const agent = await startAgent(t, listing(2500, ({ body }, items) => items.slice(0, Number(body.limit))))
  const all = await backend(t, wholeCluster(agent.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.strictSame(all.List, [])
  t.match(all.each_range_list_state, [{ total_count: 0, error: { code: 'AGENT_BAD_RESPONSE', desc: `${agent.url}: the list page at offset 1000 repeats volume ${item(0).volume_uuid}` } }])
})

t.test('a list answer with more items than asked is AGENT_BAD_RESPONSE', async (t) => {
  const agent = await startAgent(t, listing(2500, (_seen, items) => items.slice(0, LIST_PAGE_ITEMS + 1)))
  const all = await backend(t, wholeCluster(agent.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.match(all.each_range_list_state, [{ error: { code: 'AGENT_BAD_RESPONSE', desc: `${agent.url}: 1001 list items for a page of 1000` } }])
})

t.test('a list answer may grow by one item\'s worth per item asked, and no more', async (t) => {
  const bound = FIXED_ANSWER_BYTES + 10 * ITEM_ANSWER_BYTES
  const exact = await startAgent(t, (seen) => padded(listing(10)(seen) as Written, bound))
  t.equal((await backend(t, wholeCluster(exact.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 10 })).List.length, 10)
  const over = await startAgent(t, (seen) => padded(listing(10)(seen) as Written, bound + 1))
  const page = await backend(t, wholeCluster(over.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 10 })
  t.match(page.each_range_list_state, [{ error: { code: 'AGENT_BAD_RESPONSE', desc: /answer longer than/ } }])
})
