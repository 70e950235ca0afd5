// AgentBackend over a cluster split across agents: calls go to each route, the agent that
// has the volume decides, and a failing agent affects only what it serves.
import t from 'tap'
import { LIST_PAGE_ITEMS } from '../../../../src/backend/agent/answer-limits.js'
import { createAgentBackend } from '../../../../src/backend/agent/backend.js'
import type { AgentRoute } from '../../../../src/backend/agent/routing.js'
import type { CdpListItem } from '../../../../src/backend/port.js'
import { identityFromRef } from '../../../../src/backend/identity.js'
import { CdpError, Scode } from '../../../../src/errors.js'
import { batchFrom, fail, failure, freePort, identity, listItem, ok, startAgent, type Reply, type Seen } from '../../../helpers/fake-agent.js'
import { DEMO } from '../../../helpers/demo.js'

const A = 'aaaaaaaa-0000-4000-8000-000000000001'
const B = 'bbbbbbbb-0000-4000-8000-000000000002'
const NOWHERE = 'cccccccc-0000-4000-8000-000000000003'
const UNKNOWN_CLUSTER = '99999999-0000-4000-8000-000000000000'
const POLICY = { cdp_priority: 'mid' as const, reserve_capacity: 32212254720n, reserve_duration: 86400n }

const ref = (uuid: string, cluster = DEMO.cluster) => ({ cluster_uuid: cluster, volume_uuid: uuid })

interface Teardown { teardown: (fn: () => unknown) => void }

/** The demo cluster split: DEMO.namespace on `named`, every other namespace on `rest`. */
function split (named: string, rest: string): AgentRoute[] {
  return [
    { cluster_uuid: DEMO.cluster, namespaces: [DEMO.namespace], urls: [named] },
    { cluster_uuid: DEMO.cluster, urls: [rest] }
  ]
}

function backend (t: Teardown, routes: AgentRoute[]) {
  const b = createAgentBackend({ routes, timeoutMs: 2000, retries: 1, concurrency: 2, backoffMs: 1 })
  t.teardown(() => b.close())
  return b
}

async function down (): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`
}

/** An agent holding these volumes for single-volume calls: info answers, others say not found. */
function holding (volumes: readonly string[]) {
  return ({ body }: Seen): Reply => volumes.includes(body.volume?.volume_uuid)
    ? ok({ cdp_info: [], host_uuid: 'h' })
    : fail('VOLUME_NOT_FOUND', body.volume?.volume_uuid)
}

t.test('batch: each volume takes the outcome of the agent that has it, in request order', async (t) => {
  const named = await startAgent(t, batchFrom([A]))
  const rest = await startAgent(t, batchFrom([B]))
  const outcomes = await backend(t, split(named.url, rest.url)).edit(POLICY, [ref(B), ref(NOWHERE), ref(A)])
  t.match(outcomes, [
    { ok: true, volume: identity(B) },
    { ok: false, volume: { volume_uuid: NOWHERE }, error: { code: 'VOLUME_NOT_FOUND' } },
    { ok: true, volume: identity(A) }
  ])
  t.strictSame(named.seen[0]?.body, { policy: { cdp_priority: 'mid', reserve_capacity: 32212254720, reserve_duration: 86400 }, volumes: [ref(B), ref(NOWHERE), ref(A)] }, 'the whole batch goes to every route')
  t.equal(rest.count('/edit'), 1)
})

t.test('batch: an agent that is down fails only the volumes no agent found', async (t) => {
  const named = await startAgent(t, batchFrom([A]))
  const outcomes = await backend(t, split(named.url, await down())).enable([ref(A), ref(B)])
  t.match(outcomes, [
    { ok: true, volume: identity(A) },
    { ok: false, volume: { volume_uuid: B, cluster_uuid: DEMO.cluster }, error: { code: 'AGENT_UNREACHABLE' } }
  ])
})

t.test('batch: an agent\'s answer about a volume it has (a refusal) is that volume\'s outcome', async (t) => {
  const named = await startAgent(t, ({ body }) => ok({
    results: (body.volumes as Array<{ volume_uuid: string }>).map(({ volume_uuid: uuid }) => uuid === A
      ? { scode: 3003, desc: 'the volume has no CDP configured', volume: identity(A) }
      : { scode: 3002, desc: uuid, volume: identity(uuid, '') })
  }))
  const rest = await startAgent(t, () => 'hang')
  const b = createAgentBackend({ routes: split(named.url, rest.url), timeoutMs: 100, retries: 0, concurrency: 2 })
  t.teardown(() => b.close())
  const [outcome] = await b.disable([ref(A)])
  t.match(outcome, { ok: false, volume: identity(A), error: { code: 'CDP_NOT_FOUND', desc: 'the volume has no CDP configured' } })
})

t.test('batch: an answer that does not match the volumes sent is that agent\'s bad response', async (t) => {
  const named = await startAgent(t, () => ok({ results: [] }))
  const rest = await startAgent(t, batchFrom([B]))
  const outcomes = await backend(t, split(named.url, rest.url)).enable([ref(A), ref(B)])
  t.match(outcomes, [{ ok: false, error: { code: 'AGENT_BAD_RESPONSE' } }, { ok: true, volume: identity(B) }])
})

t.test('batch: volumes of an unknown cluster are CLUSTER_NOT_FOUND, the others proceed', async (t) => {
  const agent = await startAgent(t, batchFrom([A]))
  const outcomes = await backend(t, [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }]).enable([ref(NOWHERE, UNKNOWN_CLUSTER), ref(A)])
  t.match(outcomes, [
    { ok: false, volume: { cluster_uuid: UNKNOWN_CLUSTER, volume_uuid: NOWHERE }, error: { code: 'CLUSTER_NOT_FOUND' } },
    { ok: true, volume: identity(A) }
  ])
  t.strictSame(agent.seen[0]?.body.volumes, [ref(A)], 'the agent sees only its cluster\'s volumes')
})

t.test('single-volume calls: the agent that has the volume answers', async (t) => {
  const named = await startAgent(t, holding([]))
  const rest = await startAgent(t, holding([B]))
  t.strictSame(await backend(t, split(named.url, rest.url)).info(ref(B)), { cdp_info: [], host_uuid: 'h' })
})

t.test('single-volume calls: a volume no agent has is VOLUME_NOT_FOUND', async (t) => {
  const named = await startAgent(t, holding([]))
  const rest = await startAgent(t, holding([]))
  const err = await backend(t, split(named.url, rest.url)).info(ref(NOWHERE)).catch((e: unknown) => e)
  t.match(err, { code: 'VOLUME_NOT_FOUND', desc: NOWHERE })
})

t.test('single-volume calls: another agent being down does not matter when the volume is found', async (t) => {
  const rest = await startAgent(t, holding([B]))
  t.strictSame(await backend(t, split(await down(), rest.url)).info(ref(B)), { cdp_info: [], host_uuid: 'h' })
})

t.test('single-volume calls: not found anywhere while an agent is down reports the agent failure, whichever route it is', async (t) => {
  const nowhere = await startAgent(t, holding([]))
  const gone = await down()
  for (const routes of [split(gone, nowhere.url), split(nowhere.url, gone)]) {
    const err = await backend(t, routes).info(ref(A)).catch((e: unknown) => e)
    t.ok(err instanceof CdpError)
    t.match(err, { code: 'AGENT_UNREACHABLE' })
    t.equal((err as CdpError).entry.status, 502)
  }
})

t.test('single-volume calls: the holder\'s refusal wins over another agent\'s failure', async (t) => {
  const named = await startAgent(t, () => fail('VIEW_IS_ON', 'turn the view off first'))
  const err = await backend(t, split(named.url, await down())).revert(ref(A), { snapshot_name: 'CDP-auto-1', timestamp: 1n }).catch((e: unknown) => e)
  t.match(err, { code: 'VIEW_IS_ON', desc: 'turn the view off first' })
})

/** What the agent holding B answers to each single-volume operation (uint64 fields as JSON numbers). */
const ANSWERS: Record<string, unknown> = {
  '/clean': {},
  '/view/on': { host_uuid: 'host-of-b' },
  '/view/off': {},
  '/revert': {},
  '/window': { ranges: [], gaps: [], configured_seconds: 86400, actual_seconds: 60, recoverable_seconds: 50, on_seconds: 40, use: 4096, capacity: 8192 },
  '/events': { total_count: 0, events: [] },
  '/changes': { extents: [], next: null }
}

t.test('single-volume calls: the holder is sent each call\'s own request, and its answer is the result', async (t) => {
  const named = await startAgent(t, holding([]))
  const rest = await startAgent(t, ({ op, body }) => body.volume?.volume_uuid === B ? ok(ANSWERS[op]) : fail('VOLUME_NOT_FOUND'))
  const b = backend(t, split(named.url, rest.url))
  const point = { snapshot_name: 'CDP-auto-1', timestamp: 7n }
  t.strictSame(await b.viewOn(ref(B), point), { host_uuid: 'host-of-b' })
  await b.viewOff(ref(B))
  await b.revert(ref(B), point)
  await b.clean(ref(B))
  await b.clean(ref(B), 0n)
  t.strictSame(await b.window(ref(B)), { ranges: [], gaps: [], configured_seconds: 86400n, actual_seconds: 60n, recoverable_seconds: 50n, on_seconds: 40n, use: 4096n, capacity: 8192n })
  t.strictSame(await b.events(ref(B), { since: 5n, page_num: 1, page_size: 2 }), { total_count: 0, events: [] })
  t.strictSame(await b.changes(ref(B), { from: 1n, to: 2n, start: 3n, limit: 4 }), { extents: [], next: null })
  const volume = ref(B)
  const wirePoint = { snapshot_name: 'CDP-auto-1', timestamp: 7 }
  t.strictSame(rest.seen.map(({ op, body }) => [op, body]), [
    ['/view/on', { volume, point: wirePoint }],
    ['/view/off', { volume }],
    ['/revert', { volume, point: wirePoint }],
    ['/clean', { volume }],
    ['/clean', { volume, usd_seq: 0 }],
    ['/window', { volume }],
    ['/events', { volume, since: 5, page_num: 1, page_size: 2 }],
    ['/changes', { volume, from: 1, to: 2, start: 3, limit: 4 }]
  ], 'clean without usd_seq sends none (the whole CDP); usd_seq 0 is sent')
  t.strictSame(named.seen.map(({ op }) => op), rest.seen.map(({ op }) => op), 'every route was asked')
})

t.test('single-volume calls: an agent\'s INTERNAL (500) is its failure, so the agent that has the volume still answers', async (t) => {
  const named = await startAgent(t, () => fail('INTERNAL', 'disk on fire'))
  const rest = await startAgent(t, holding([B]))
  const b = backend(t, split(named.url, rest.url))
  t.strictSame(await b.info(ref(B)), { cdp_info: [], host_uuid: 'h' })
  t.match(await failure(b.info(ref(A))), { code: 'INTERNAL' }, 'and it is reported when no agent has the volume')
})

t.test('single-volume calls: when no agent has the volume and two failed, the first route\'s failure is reported', async (t) => {
  const hung = await startAgent(t, () => 'hang')
  const gone = await down()
  for (const [routes, code] of [[split(hung.url, gone), 'AGENT_TIMEOUT'], [split(gone, hung.url), 'AGENT_UNREACHABLE']] as const) {
    const b = createAgentBackend({ routes, timeoutMs: 100, retries: 0, concurrency: 2 })
    t.teardown(() => b.close())
    t.equal((await failure(b.info(ref(A)))).code, code)
  }
})

t.test('single-volume calls: a volume no agent has is the first agent\'s VOLUME_NOT_FOUND, its detail passed on', async (t) => {
  const named = await startAgent(t, () => fail('VOLUME_NOT_FOUND', 'not on the named agent'))
  const rest = await startAgent(t, () => fail('VOLUME_NOT_FOUND', 'not on the catch-all agent'))
  t.match(await failure(backend(t, split(named.url, rest.url)).viewOff(ref(A))), { code: 'VOLUME_NOT_FOUND', desc: 'not on the named agent' })
})

t.test('batch: volumes of one cluster, however its uuid is spelled, go as one batch to each route', async (t) => {
  const named = await startAgent(t, batchFrom([A]))
  const rest = await startAgent(t, batchFrom([B]))
  const upper = ref(A, DEMO.cluster.toUpperCase())
  const outcomes = await backend(t, split(named.url, rest.url)).enable([upper, ref(B)])
  t.match(outcomes, [{ ok: true, volume: identity(A) }, { ok: true, volume: identity(B) }])
  t.strictSame([named, rest].map((agent) => agent.seen.map(({ body }) => body.volumes)), [[[upper, ref(B)]], [[upper, ref(B)]]])
})

t.test('batch: an agent\'s INTERNAL item is its failure: another agent\'s success wins, and it is reported over not found', async (t) => {
  const internal = (seen: Seen): Reply => ok({
    results: (seen.body.volumes as Array<{ volume_uuid: string }>).map(({ volume_uuid: uuid }) => ({ scode: Scode.INTERNAL.scode, desc: 'sql', volume: identity(uuid) }))
  })
  const named = await startAgent(t, internal)
  const rest = await startAgent(t, batchFrom([B]))
  const outcomes = await backend(t, split(named.url, rest.url)).disable([ref(B), ref(A)])
  t.match(outcomes, [{ ok: true, volume: identity(B) }, { ok: false, volume: identityFromRef(ref(A)), error: { code: 'INTERNAL', desc: '' } }])
})

t.test('batch: a volume no agent found and two agents failed carries the first route\'s failure', async (t) => {
  const hung = await startAgent(t, () => 'hang')
  const gone = await down()
  for (const [routes, code] of [[split(hung.url, gone), 'AGENT_TIMEOUT'], [split(gone, hung.url), 'AGENT_UNREACHABLE']] as const) {
    const b = createAgentBackend({ routes, timeoutMs: 100, retries: 0, concurrency: 2 })
    t.teardown(() => b.close())
    t.match(await b.enable([ref(A)]), [{ ok: false, volume: identityFromRef(ref(A)), error: { code } }])
  }
})

t.test('batch: a volume no agent has is the first agent\'s not-found item, with the identity it reported', async (t) => {
  const notFound = (where: string) => (seen: Seen): Reply => ok({
    results: (seen.body.volumes as Array<{ volume_uuid: string }>).map(({ volume_uuid: uuid }) => ({ scode: Scode.VOLUME_NOT_FOUND.scode, desc: `not on ${where}`, volume: identity(uuid, where) }))
  })
  const named = await startAgent(t, notFound('named'))
  const rest = await startAgent(t, notFound('rest'))
  const [outcome] = await backend(t, split(named.url, rest.url)).edit(POLICY, [ref(A)])
  t.strictSame(outcome, { ok: false, volume: identity(A, 'named'), error: new CdpError('VOLUME_NOT_FOUND', 'not on named') })
})

t.test('batch: an agent\'s results must be the volumes sent, in order (case aside), one each', async (t) => {
  const answering = (order: (uuids: string[]) => string[]) => (seen: Seen): Reply => ok({
    results: order((seen.body.volumes as Array<{ volume_uuid: string }>).map(({ volume_uuid: uuid }) => uuid)).map((uuid) => ({ scode: 0, desc: '', volume: identity(uuid) }))
  })
  const cases: Array<[string, (uuids: string[]) => string[], boolean]> = [
    ['in upper case', (uuids) => uuids.map((uuid) => uuid.toUpperCase()), true],
    ['swapped', (uuids) => [...uuids].reverse(), false],
    ['the second replaced', (uuids) => [...uuids.slice(0, -1), NOWHERE], false],
    ['one more', (uuids) => [...uuids, NOWHERE], false],
    ['one less', (uuids) => uuids.slice(1), false]
  ]
  for (const [what, order, fits] of cases) {
    const agent = await startAgent(t, answering(order))
    const outcomes = await backend(t, [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }]).enable([ref(A), ref(B)])
    t.strictSame(outcomes.map((outcome) => outcome.ok ? 'ok' : [outcome.error.code, outcome.error.desc]), fits
      ? ['ok', 'ok']
      : [0, 1].map(() => ['AGENT_BAD_RESPONSE', `${agent.url}: batch results do not match the volumes sent`]), what)
  }
})

t.test('one agent behind several routes is asked once per call', async (t) => {
  const agent = await startAgent(t, (seen) => seen.op === '/revert' ? ok({}) : batchFrom([A])(seen))
  const b = backend(t, split(agent.url, agent.url))
  await b.revert(ref(A), { snapshot_name: 'CDP-auto-1', timestamp: 1n })
  t.match(await b.enable([ref(A)]), [{ ok: true }])
  t.strictSame(agent.seen.map((seen) => seen.op), ['/revert', '/enable'])
})

t.test('an unknown cluster is CLUSTER_NOT_FOUND (404) for single-volume calls and list', async (t) => {
  const agent = await startAgent(t, holding([A]))
  const b = backend(t, [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }])
  for (const call of [b.info(ref(A, UNKNOWN_CLUSTER)), b.clean(ref(A, UNKNOWN_CLUSTER)), b.list({ cluster_uuid: UNKNOWN_CLUSTER, page_num: 0, page_size: 0 })]) {
    const err = await call.catch((e: unknown) => e)
    t.match(err, { code: 'CLUSTER_NOT_FOUND', desc: UNKNOWN_CLUSTER })
    t.equal((err as CdpError).entry.status, 404)
  }
  t.equal(agent.seen.length, 0)
})

t.test('fan-out keeps at most `concurrency` agents in flight', async (t) => {
  let inFlight = 0
  let most = 0
  const slowly = async (seen: Seen): Promise<Reply> => {
    if (seen.op === '/health') return ok({ protocol: 1 })
    most = Math.max(most, ++inFlight)
    await new Promise((resolve) => setTimeout(resolve, 20))
    inFlight--
    return batchFrom([])(seen)
  }
  const namespaces = ['11111111', '22222222', '33333333', '44444444'].map((n) => `${n}-0000-4000-8000-000000000000`)
  const routes: AgentRoute[] = []
  // The last is the cluster's catch-all, which every routing table needs.
  for (const [i, ns] of namespaces.entries()) {
    routes.push({ cluster_uuid: DEMO.cluster, ...(i < namespaces.length - 1 ? { namespaces: [ns] } : {}), urls: [(await startAgent(t, slowly)).url] })
  }
  const outcomes = await backend(t, routes).enable([ref(A)])
  t.match(outcomes, [{ ok: false, error: { code: 'VOLUME_NOT_FOUND' } }], 'every agent was asked')
  t.equal(most, 2)
})

// -- list --

const item = listItem

const CLUSTER_INFO = { uuid: DEMO.cluster, name: 'cluster_name_236', mode: '' }

/** An agent serving one namespace's sorted items, honouring `offset` and `limit` as a real agent does. */
function listing (namespace: string, items: CdpListItem[]) {
  return ({ body }: Seen): Reply => {
    const from = Number(body.offset ?? 0)
    return ok({
      cluster: CLUSTER_INFO,
      ranges: [{ namespace_uuid: namespace, total_count: items.length }],
      items: body.limit === 0 ? items.slice(from) : items.slice(from, from + Number(body.limit))
    })
  }
}

const NAMED_ITEMS = [item('alpha', A), item('delta', 'dddddddd-0000-4000-8000-000000000004')]
const REST_ITEMS = [item('beta', B), item('gamma', NOWHERE), item('zeta', 'eeeeeeee-0000-4000-8000-000000000005')]

t.test('list: both routes are asked for enough to fill the page, and the page is cut from the merge', async (t) => {
  const named = await startAgent(t, listing(DEMO.namespace, NAMED_ITEMS))
  const rest = await startAgent(t, listing(DEMO.linNamespace, REST_ITEMS))
  const b = backend(t, split(named.url, rest.url))
  const page = await b.list({ cluster_uuid: DEMO.cluster, tenant: DEMO.ken, filter_name: 'a', page_num: 1, page_size: 2 })
  t.strictSame(named.seen[0]?.body, { cluster_uuid: DEMO.cluster, tenant: DEMO.ken, filter_name: 'a', namespaces: [DEMO.namespace], limit: 4 })
  t.strictSame(rest.seen[0]?.body, { cluster_uuid: DEMO.cluster, tenant: DEMO.ken, filter_name: 'a', exclude_namespaces: [DEMO.namespace], limit: 4 })
  t.strictSame(page.List.map((i) => i.volume_name), ['delta', 'gamma'], 'alpha beta | delta gamma | zeta')
  t.equal(page.TotalCount, 5)
  t.strictSame(page.each_range_list_state, [
    { cluster_uuid: DEMO.cluster, cluster_name: 'cluster_name_236', cluster_mode: '', namespace_uuid: DEMO.namespace, total_count: 2 },
    { cluster_uuid: DEMO.cluster, cluster_name: 'cluster_name_236', cluster_mode: '', namespace_uuid: DEMO.linNamespace, total_count: 3 }
  ])
  t.equal(page.List[0]?.reserve_capacity, 18446744073709551615n, 'uint64 exact')
})

t.test('list: page_size 0 asks every route for a first page and returns the whole merge', async (t) => {
  const named = await startAgent(t, listing(DEMO.namespace, NAMED_ITEMS))
  const rest = await startAgent(t, listing(DEMO.linNamespace, REST_ITEMS))
  const all = await backend(t, split(named.url, rest.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
  t.strictSame([named, rest].map((agent) => agent.seen.map((seen) => seen.body.limit)), [[LIST_PAGE_ITEMS], [LIST_PAGE_ITEMS]], 'a short list is one page')
  t.strictSame(all.List.map((i) => i.volume_name), ['alpha', 'beta', 'delta', 'gamma', 'zeta'])
})

t.test('list: a page past the end is empty with the true total', async (t) => {
  const named = await startAgent(t, listing(DEMO.namespace, NAMED_ITEMS))
  const rest = await startAgent(t, listing(DEMO.linNamespace, REST_ITEMS))
  const page = await backend(t, split(named.url, rest.url)).list({ cluster_uuid: DEMO.cluster, page_num: 9, page_size: 10 })
  t.strictSame(page.List, [])
  t.equal(page.TotalCount, 5)
})

t.test('list: a failed namespace route marks its ranges; the healthy route still answers', async (t) => {
  const rest = await startAgent(t, listing(DEMO.linNamespace, REST_ITEMS))
  const page = await backend(t, split(await down(), rest.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 10 })
  t.strictSame(page.List.map((i) => i.volume_name), ['beta', 'gamma', 'zeta'])
  t.equal(page.TotalCount, 3)
  t.match(page.each_range_list_state, [
    { cluster_uuid: DEMO.cluster, cluster_name: 'cluster_name_236', namespace_uuid: DEMO.namespace, total_count: 0, error: { code: 'AGENT_UNREACHABLE' } },
    { namespace_uuid: DEMO.linNamespace, total_count: 3 }
  ])
  t.notOk('error' in (page.each_range_list_state[1] ?? {}), 'the healthy range carries no error')
})

t.test('list: a failed catch-all route is one range with namespace_uuid ""; with no healthy answer the names are ""', async (t) => {
  const named = await startAgent(t, () => 'hang')
  const rest = await startAgent(t, () => ({ status: 500, body: '<html>bad gateway</html>' }))
  const b = createAgentBackend({ routes: split(named.url, rest.url), timeoutMs: 100, retries: 0, concurrency: 2 })
  t.teardown(() => b.close())
  const page = await b.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 10 })
  t.strictSame(page.List, [])
  t.equal(page.TotalCount, 0)
  t.match(page.each_range_list_state, [
    { cluster_uuid: DEMO.cluster, cluster_name: '', cluster_mode: '', namespace_uuid: DEMO.namespace, total_count: 0, error: { code: 'AGENT_TIMEOUT' } },
    { cluster_uuid: DEMO.cluster, cluster_name: '', cluster_mode: '', namespace_uuid: '', total_count: 0, error: { code: 'AGENT_BAD_RESPONSE' } }
  ])
})

t.test('list: ranges narrowed by the query are asked only of the routes serving them', async (t) => {
  const named = await startAgent(t, listing(DEMO.namespace, NAMED_ITEMS))
  const rest = await startAgent(t, listing(DEMO.linNamespace, REST_ITEMS))
  const page = await backend(t, split(named.url, rest.url)).list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0, namespaces: [DEMO.linNamespace] })
  t.equal(named.seen.length, 0)
  t.strictSame(rest.seen[0]?.body.namespaces, [DEMO.linNamespace])
  t.equal(page.TotalCount, 3)
})

t.test('ready: each silent agent is named with what went wrong, in routing order, each asked once', async (t) => {
  const silent = await down()
  const busy = await startAgent(t, () => ({ status: 503, body: 'busy' }))
  const good = await startAgent(t, () => ok({ protocol: 1 }))
  const err = await failure(backend(t, [...split(silent, good.url), { cluster_uuid: UNKNOWN_CLUSTER, urls: [busy.url] }]).ready())
  t.equal(err.desc, `agents not answering: ${silent} (node agent unreachable), ${busy.url} (node agent sent an invalid response)`)
  t.equal(busy.count('/health'), 1, 'not retried: ready says what is up now')
})

t.test('ready: every agent answers health, else BACKEND_UNAVAILABLE naming the silent ones', async (t) => {
  const named = await startAgent(t, () => ok({ protocol: 1 }))
  const rest = await startAgent(t, () => ok({ protocol: 1 }))
  await backend(t, split(named.url, rest.url)).ready()
  t.equal(named.count('/health'), 1)
  const silent = await down()
  const wrongVersion = await startAgent(t, () => ok({ protocol: 2 }))
  const err = await backend(t, [...split(named.url, silent), { cluster_uuid: UNKNOWN_CLUSTER, urls: [wrongVersion.url] }]).ready().catch((e: unknown) => e)
  t.match(err, { code: 'BACKEND_UNAVAILABLE' })
  t.equal((err as CdpError).entry.status, 503)
  t.match((err as CdpError).desc, silent)
  t.match((err as CdpError).desc, wrongVersion.url)
  t.notMatch((err as CdpError).desc, named.url)
})
