// AgentBackend: CdpBackend over node agents. The API keeps no state; each volume lives on
// exactly one agent of its cluster, and an agent answers VOLUME_NOT_FOUND (changing
// nothing) for volumes it does not have. So every call goes to each route of the cluster
// and the agent that has the volume decides; an agent that fails affects only what it
// serves.
// Longer than 300 lines on purpose: one method per CdpBackend call, each the routing and
// merging rule of that call, read best side by side; the transport is client.ts, list pages
// list-merge.ts, concurrency fan-out.ts, answer bounds answer-limits.ts.
import type {
  BatchOutcome, CdpBackend, CdpInfo, CdpPolicy, ChangesPage, ChangesQuery, GroupOutcome, GroupResult, ListQuery,
  ListResult, Ns, PointInTime, ProtectionSurvey, VmGroupRef, VolumeRef
} from '../port.js'
import { identityFromRef } from '../identity.js'
import type { CdpEventsPage, EventsQuery } from '../../schemas/events.js'
import type { WindowFacts } from '../../schemas/window.js'
import { CdpError, Scode } from '../../errors.js'
import { LIST_PAGE_ITEMS } from './answer-limits.js'
import { AgentClient, scodeError, type AgentClientOptions, type AgentLog, type AgentTls } from './client.js'
import { mapLimit, settle, type Settled } from './fan-out.js'
import { askFrom, listRequest, mergeList } from './list-merge.js'
import { CursorNotSpoken, PivotMemory, seekable, seekPage } from './list-seek.js'
import { AgentFeature, type AgentAnswer, type AgentRequest } from './protocol.js'
import { RoutingTable, type AgentRoute, type ResolvedRoute } from './routing.js'

export interface AgentBackendOptions {
  routes: readonly AgentRoute[]
  /** Deadline of one attempt toward an agent, in ms. */
  timeoutMs: number
  /** Extra attempts of an idempotent call after a transport failure. */
  retries: number
  /** Agents one call talks to at once. */
  concurrency: number
  token?: string
  tls?: AgentTls
  /** First retry's backoff ceiling in ms (doubles per retry, full jitter). */
  backoffMs?: number
  onAttempt?: AgentClientOptions['onAttempt']
  /** Where agents' internal failure details go (the API's log). */
  log?: AgentLog
}

type BatchOp = 'edit' | 'enable' | 'disable'
type BatchItem = AgentAnswer<BatchOp>['results'][number]
type VolumeOp = 'info' | 'clean' | 'viewOn' | 'viewOff' | 'revert' | 'window' | 'events' | 'changes'
type GroupAnswer = AgentAnswer<'groupRevert'>

/** How an agent's failure about one volume counts when the answers are combined. */
function standing (error: CdpError): 'absent' | 'failed' | 'answer' {
  if (error.code === 'VOLUME_NOT_FOUND') return 'absent'
  return error.entry.status >= 500 ? 'failed' : 'answer'
}

export class AgentBackend implements CdpBackend {
  private readonly routing: RoutingTable
  private readonly client: AgentClient
  private readonly concurrency: number
  private readonly pivots = new PivotMemory()

  constructor (options: AgentBackendOptions) {
    this.routing = new RoutingTable(options.routes)
    this.concurrency = options.concurrency
    this.client = new AgentClient({
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
      ...(options.log === undefined ? {} : { log: options.log })
    })
  }

  async edit (policy: CdpPolicy, volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch('edit', volumes, (refs) => ({ policy, volumes: refs }))
  }

  async enable (volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch('enable', volumes, (refs) => ({ volumes: refs }))
  }

  async disable (volumes: VolumeRef[]): Promise<BatchOutcome[]> {
    return this.batch('disable', volumes, (refs) => ({ volumes: refs }))
  }

  async list (query: ListQuery): Promise<ListResult> {
    const asked = this.routing.routesOf(query.cluster_uuid).flatMap((route) => {
      const request = listRequest(query, route)
      return request === undefined ? [] : [{ route, request }]
    })
    if (seekable(query)) {
      const rank = query.page_num * query.page_size
      const only = asked.length === 1 ? asked[0] : undefined
      // One agent: its page is the page, asked for by offset (plain v1).
      if (only !== undefined) {
        const request = { ...only.request, limit: query.page_size, offset: rank }
        return mergeList(query, [{ request, answer: await settle(this.client.call('list', only.route.urls, request)) }], rank)
      }
      const sought = await this.seek(query, asked)
      if (sought !== undefined) return sought
    }
    const parts = await mapLimit(asked, this.concurrency, async ({ route, request }) =>
      ({ request, answer: await settle(this.listOf(route, request)) }))
    return mergeList(query, parts)
  }

  /**
   * A deep page across several agents by the keyset cursor, unless an agent says it lacks
   * it (its `health` does not list it, or it answers `after` without `before`): undefined
   * then, and the page goes the plain way. An agent that cannot say (its `health` failed)
   * is sought with the rest; when it fails, its ranges carry its error.
   */
  private async seek (query: ListQuery, asked: ReadonlyArray<{ route: ResolvedRoute, request: AgentRequest<'list'> }>): Promise<ListResult | undefined> {
    const urls = [...new Set(asked.flatMap(({ route }) => route.urls))]
    const speaks = await mapLimit(urls, this.concurrency, async (url) => await this.client.supports(url, AgentFeature.listAfter))
    if (speaks.includes(false)) return undefined
    try {
      const { parts, skipped } = await seekPage(query, asked.length, this.concurrency, async (i, ask) => {
        const { route, request } = asked[i] as typeof asked[number]
        return await this.client.call('list', route.urls, askFrom(request, ask))
      }, this.pivots)
      return mergeList(query, asked.map(({ request }, i) => ({ request, answer: parts[i] as Settled<AgentAnswer<'list'>> })), skipped)
    } catch (err) {
      if (!(err instanceof CursorNotSpoken)) throw err
      // The agent was replaced by one without the cursor: its next `health` says so.
      this.client.forgetFeatures((asked[err.agent] as typeof asked[number]).route.urls)
      return undefined
    }
  }

  /**
   * One route's part of a list. Up to LIST_PAGE_ITEMS it is one request; a longer list
   * (page_size 0, or a deep page) is asked for page by page, so that no answer is larger
   * than a page, and put together here.
   */
  private async listOf (route: ResolvedRoute, request: AgentRequest<'list'>): Promise<AgentAnswer<'list'>> {
    if (request.limit > 0 && request.limit <= LIST_PAGE_ITEMS) return await this.client.call('list', route.urls, request)
    const wanted = request.limit === 0 ? Infinity : request.limit
    const first = await this.listPage(route, request, 0)
    const total = first.ranges.reduce((sum, range) => sum + range.total_count, 0)
    const items = [...first.items]
    const seen = new Set(items.map((item) => item.volume_uuid.toLowerCase()))
    let last = first
    while (last.items.length === LIST_PAGE_ITEMS && items.length < Math.min(wanted, total)) {
      const offset = items.length
      last = await this.listPage(route, request, offset)
      for (const item of last.items) {
        // Also what an agent that ignores `offset` looks like: the first page again.
        const key = item.volume_uuid.toLowerCase()
        if (seen.has(key)) throw new CdpError('AGENT_BAD_RESPONSE', `${route.urls[0] ?? ''}: the list page at offset ${offset} repeats volume ${item.volume_uuid}`)
        seen.add(key)
        items.push(item)
      }
    }
    return { ...first, items: items.slice(0, wanted) }
  }

  private async listPage (route: ResolvedRoute, request: AgentRequest<'list'>, offset: number): Promise<AgentAnswer<'list'>> {
    const page = await this.client.call('list', route.urls, { ...request, limit: LIST_PAGE_ITEMS, ...(offset === 0 ? {} : { offset }) })
    if (page.items.length > LIST_PAGE_ITEMS) {
      throw new CdpError('AGENT_BAD_RESPONSE', `${route.urls[0] ?? ''}: ${page.items.length} list items for a page of ${LIST_PAGE_ITEMS}`)
    }
    return page
  }

  async info (volume: VolumeRef): Promise<CdpInfo> {
    return this.onVolume('info', volume, { volume })
  }

  async clean (volume: VolumeRef, usdSeq?: bigint): Promise<void> {
    await this.onVolume('clean', volume, { volume, ...(usdSeq === undefined ? {} : { usd_seq: usdSeq }) })
  }

  async viewOn (volume: VolumeRef, point: PointInTime): Promise<{ host_uuid: string }> {
    const { host_uuid: hostUuid } = await this.onVolume('viewOn', volume, { volume, point })
    return { host_uuid: hostUuid }
  }

  async viewOff (volume: VolumeRef): Promise<void> {
    await this.onVolume('viewOff', volume, { volume })
  }

  async revert (volume: VolumeRef, point: PointInTime): Promise<void> {
    await this.onVolume('revert', volume, { volume, point })
  }

  async window (volume: VolumeRef): Promise<WindowFacts> {
    return await this.onVolume('window', volume, { volume })
  }

  async events (volume: VolumeRef, query: EventsQuery): Promise<CdpEventsPage> {
    return await this.onVolume('events', volume, { volume, ...query })
  }

  /**
   * One call to each agent, whatever clusters it serves: the first `limit` of each, merged
   * by volume_uuid and cut to `limit`, so a scrape costs one request per agent and at most
   * `limit` standings per agent, however many volumes there are. An agent that fails (or
   * lacks the operation) is counted, not fatal: the other agents' gauges still go out.
   */
  async protection (limit: number): Promise<ProtectionSurvey> {
    const answers = await this.scatter(distinctAgents(this.routing.routes()), async (route) =>
      await this.client.call('protection', route.urls, { limit }))
    const byUuid = new Map<string, ProtectionSurvey['volumes'][number]>()
    let omitted = 0
    let unanswered = 0
    for (const answer of answers) {
      if (!answer.ok) {
        unanswered++
        continue
      }
      omitted += Math.max(0, answer.value.total_count - answer.value.volumes.length)
      for (const standing of answer.value.volumes) byUuid.set(standing.volume_uuid.toLowerCase(), standing)
    }
    const merged = [...byUuid.values()].sort((a, b) => a.volume_uuid < b.volume_uuid ? -1 : a.volume_uuid > b.volume_uuid ? 1 : 0)
    return { volumes: merged.slice(0, limit), omitted: omitted + Math.max(0, merged.length - limit), unanswered }
  }

  async changes (volume: VolumeRef, query: ChangesQuery): Promise<ChangesPage> {
    return await this.onVolume('changes', volume, { volume, ...query })
  }

  /**
   * The VM's CDP volumes, from the one agent that serves them. Members on two agents are
   * GROUP_SPANS_AGENTS; an agent that fails might serve some, so its failure is reported
   * rather than a group that could be missing volumes.
   */
  async groupMembers (vm: VmGroupRef): Promise<VolumeRef[]> {
    const answers = await this.scatter(distinctAgents(this.routing.routesOf(vm.cluster_uuid)),
      async (route) => await this.client.call('groupMembers', route.urls, vm))
    const serving = answers.flatMap((answer) => answer.ok ? [answer.value.volumes] : [])
    const errors = answers.flatMap((answer) => answer.ok ? [] : [answer.error])
    const failure = errors.find((error) => standing(error) === 'failed')
    if (failure !== undefined) throw failure
    if (serving.length > 1) throw new CdpError('GROUP_SPANS_AGENTS', `vm ${vm.vm_uuid} has volumes with CDP on ${serving.length} agents`)
    const members = serving[0]
    if (members !== undefined) return members
    throw errors.find((error) => error.code !== 'VM_NOT_FOUND') ?? new CdpError('VM_NOT_FOUND', vm.vm_uuid)
  }

  async groupViewOn (volumes: VolumeRef[], timestamp: Ns): Promise<GroupResult> {
    return await this.group(volumes, async (urls) => await this.client.call('groupViewOn', urls, { volumes, timestamp }))
  }

  async groupViewOff (volumes: VolumeRef[]): Promise<GroupResult> {
    return await this.group(volumes, async (urls) => await this.client.call('groupViewOff', urls, { volumes }))
  }

  async groupRevert (volumes: VolumeRef[], timestamp: Ns): Promise<GroupResult> {
    return await this.group(volumes, async (urls) => await this.client.call('groupRevert', urls, { volumes, timestamp }))
  }

  /** Every agent URL answers `health`; the ones that do not are named. */
  async ready (): Promise<void> {
    const urls = this.routing.urls()
    const answers = await mapLimit(urls, this.concurrency, async (url) => await settle(this.client.call('health', [url], {}, { retry: false })))
    const down = answers.flatMap((answer, i) => answer.ok ? [] : [`${urls[i] ?? ''} (${answer.error.entry.message})`])
    if (down.length > 0) throw new CdpError('BACKEND_UNAVAILABLE', `agents not answering: ${down.join(', ')}`)
  }

  async close (): Promise<void> {
    await this.client.close()
  }

  /**
   * A single-volume call, sent to each route of the volume's cluster: the agent that has
   * the volume answers; when none has it, an agent's failure (it might have had it) is
   * reported before VOLUME_NOT_FOUND.
   */
  private async onVolume<Op extends VolumeOp> (op: Op, volume: VolumeRef, request: AgentRequest<Op>): Promise<AgentAnswer<Op>> {
    const routes = distinctAgents(this.routing.routesOf(volume.cluster_uuid))
    const answers = await this.scatter(routes, async (route) => await this.client.call(op, route.urls, request))
    let failure: CdpError | undefined
    let absent: CdpError | undefined
    for (const answer of answers) {
      if (answer.ok) return answer.value
      const kind = standing(answer.error)
      if (kind === 'answer') throw answer.error
      if (kind === 'failed') failure ??= answer.error
      else absent ??= answer.error
    }
    throw failure ?? absent ?? new CdpError('VOLUME_NOT_FOUND', volume.volume_uuid)
  }

  /**
   * A batch call: the volumes of each cluster go, as one batch, to every route of that
   * cluster; each volume's outcome is the answer of the agent that found it.
   */
  private async batch (op: BatchOp, volumes: VolumeRef[], request: (refs: VolumeRef[]) => AgentRequest<BatchOp>): Promise<BatchOutcome[]> {
    const outcomes = new Array<BatchOutcome>(volumes.length)
    const clusters = new Map<string, number[]>()
    volumes.forEach((volume, i) => {
      const key = volume.cluster_uuid.toLowerCase()
      const indices = clusters.get(key)
      if (indices === undefined) clusters.set(key, [i])
      else indices.push(i)
    })
    const sends = [...clusters].flatMap(([cluster, indices]) => {
      try {
        return distinctAgents(this.routing.routesOf(cluster)).map((route) => ({ route, indices }))
      } catch (err) {
        for (const i of indices) outcomes[i] = { ok: false, volume: identityFromRef(volumes[i] as VolumeRef), error: err as CdpError }
        return []
      }
    })
    const answers = await this.scatter(sends, async ({ route, indices }) => {
      const refs = indices.map((i) => volumes[i] as VolumeRef)
      const answer = await this.client.call(op, route.urls, request(refs))
      return checkBatchAnswer(route, refs, answer.results)
    })
    // Each cluster's volumes, with every route's answer about them.
    const perCluster = new Map<number[], Array<Settled<BatchItem[]>>>()
    sends.forEach(({ indices }, s) => { perCluster.set(indices, [...(perCluster.get(indices) ?? []), answers[s] as Settled<BatchItem[]>]) })
    for (const [indices, routeAnswers] of perCluster) {
      indices.forEach((volumeIndex, k) => {
        const about = routeAnswers.map((answer): Settled<BatchItem> => answer.ok ? { ok: true, value: answer.value[k] as BatchItem } : answer)
        outcomes[volumeIndex] = batchOutcome(volumes[volumeIndex] as VolumeRef, about)
      })
    }
    return outcomes
  }

  /**
   * A group call, sent whole to every agent of its clusters. An agent applies a group only
   * when it has every volume (one it lacks is a refusal), so at most one agent changes
   * anything; when the volumes are found on two agents, none could, and the group is
   * GROUP_SPANS_AGENTS. Otherwise each volume's outcome is its agent's answer about it.
   */
  private async group (volumes: VolumeRef[], send: (urls: string[]) => Promise<GroupAnswer>): Promise<GroupResult> {
    const clusters = [...new Set(volumes.map((volume) => volume.cluster_uuid.toLowerCase()))]
    const routes = distinctAgents(clusters.flatMap((cluster) => this.routing.routesOf(cluster)))
    const answers = await this.scatter(routes, async (route) => checkGroupAnswer(route, volumes, await send(route.urls)))
    const answered = answers.flatMap((answer) => answer.ok ? [answer.value] : [])
    if (answered.length === 0) throw (answers.find((answer) => !answer.ok) as { error: CdpError } | undefined)?.error ?? new CdpError('CLUSTER_NOT_FOUND', clusters.join(', '))
    const owners = answered.filter((answer) => answer.results.some((item) => item.scode !== Scode.VOLUME_NOT_FOUND.scode))
    if (owners.length > 1) throw new CdpError('GROUP_SPANS_AGENTS', `the ${volumes.length} volumes are served by ${owners.length} agents`)
    const failure = answers.find((answer) => !answer.ok)
    const outcomes = volumes.map((volume, k): GroupOutcome => {
      const item = owners[0]?.results[k]
      if (item !== undefined && item.scode !== Scode.VOLUME_NOT_FOUND.scode) return groupOutcome(item)
      const error = failure?.ok === false ? failure.error : new CdpError('VOLUME_NOT_FOUND', volume.volume_uuid)
      return { ok: false, volume: identityFromRef(volume), error, snapshot_name: '', host_uuid: '' }
    })
    return { time: owners[0]?.time ?? 0n, outcomes }
  }

  private async scatter<T, R> (items: readonly T[], fn: (item: T) => Promise<R>): Promise<Array<Settled<R>>> {
    return await mapLimit(items, this.concurrency, async (item) => await settle(fn(item)))
  }
}

export function createAgentBackend (options: AgentBackendOptions): AgentBackend {
  return new AgentBackend(options)
}

/**
 * The routes that reach different agents: one agent behind several routes (several
 * namespaces) is asked once, so a revert or a clean is never applied twice.
 */
function distinctAgents (routes: readonly ResolvedRoute[]): ResolvedRoute[] {
  const seen = new Set<string>()
  return routes.filter((route) => {
    const key = route.urls.join(' ')
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** An agent's batch answer must be one result per volume sent, in order. */
function checkBatchAnswer (route: ResolvedRoute, refs: readonly VolumeRef[], results: BatchItem[]): BatchItem[] {
  const fits = results.length === refs.length &&
    results.every((item, k) => item.volume.volume_uuid.toLowerCase() === refs[k]?.volume_uuid.toLowerCase())
  if (!fits) throw new CdpError('AGENT_BAD_RESPONSE', `${route.urls[0] ?? ''}: batch results do not match the volumes sent`)
  return results
}

/** An agent's group answer must be one result per volume sent, in order. */
function checkGroupAnswer (route: ResolvedRoute, refs: readonly VolumeRef[], answer: GroupAnswer): GroupAnswer {
  checkBatchAnswer(route, refs, answer.results)
  return answer
}

function groupOutcome ({ scode, desc, volume, snapshot_name: snapshotName, host_uuid: hostUuid }: GroupAnswer['results'][number]): GroupOutcome {
  const named = { volume, snapshot_name: snapshotName, host_uuid: hostUuid }
  return scode === 0 ? { ok: true, ...named } : { ok: false, error: scodeError(scode, desc), ...named }
}

/** One volume's outcome from every route's answer about it. */
function batchOutcome (ref: VolumeRef, answers: ReadonlyArray<Settled<BatchItem>>): BatchOutcome {
  let failure: CdpError | undefined
  let absent: BatchOutcome | undefined
  for (const answer of answers) {
    if (!answer.ok) {
      failure ??= answer.error
      continue
    }
    const { scode, desc, volume } = answer.value
    if (scode === 0) return { ok: true, volume }
    const error = scodeError(scode, desc)
    const kind = standing(error)
    if (kind === 'answer') return { ok: false, volume, error }
    if (kind === 'failed') failure ??= error
    else absent ??= { ok: false, volume, error }
  }
  if (failure !== undefined) return { ok: false, volume: identityFromRef(ref), error: failure }
  return absent ?? { ok: false, volume: identityFromRef(ref), error: new CdpError('VOLUME_NOT_FOUND', ref.volume_uuid) }
}
