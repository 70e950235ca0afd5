// A cluster's list from its agents: each route is asked for the first `limit` items of its
// ranges, the sorted answers are merged, and the page is cut from the merge. A failed
// route still shows in `each_range_list_state`, with its error and no items.
import { compareListKeys } from '../../list-order.js'
import type { ListQuery, ListResult, RangeState } from '../port.js'
import type { Settled } from './fan-out.js'
import type { SeekAsk } from './list-seek.js'
import type { AgentAnswer, AgentRequest } from './protocol.js'
import type { ResolvedRoute } from './routing.js'

type ListAnswer = AgentAnswer<'list'>

/**
 * What one route is asked: enough items to fill the page, from the ranges it serves that
 * the query covers; undefined when the query covers none of them.
 */
export function listRequest (query: ListQuery, route: ResolvedRoute): AgentRequest<'list'> | undefined {
  const only = query.namespaces?.map((ns) => ns.toLowerCase())
  const except = [...route.exclude_namespaces, ...(query.exclude_namespaces ?? []).map((ns) => ns.toLowerCase())]
  const wanted = route.namespaces === undefined ? only : route.namespaces.filter((ns) => only === undefined || only.includes(ns))
  const namespaces = wanted?.filter((ns) => !except.includes(ns))
  if (namespaces?.length === 0) return undefined
  // page_size 0 (everything) gives limit 0; (page_num + 1) * page_size can pass 2^53, which no cluster holds.
  const limit = Math.min(Number.MAX_SAFE_INTEGER, (query.page_num + 1) * query.page_size)
  return {
    cluster_uuid: query.cluster_uuid,
    ...(query.tenant === undefined ? {} : { tenant: query.tenant }),
    ...(query.filter_name === undefined ? {} : { filter_name: query.filter_name }),
    ...(namespaces === undefined ? {} : { namespaces }),
    ...(namespaces !== undefined || except.length === 0 ? {} : { exclude_namespaces: except }),
    limit
  }
}

/**
 * `request` from where a seek's `ask` says. Built field by field, as is each range below:
 * V8 takes microseconds to spread one object into another, and both run per agent per page.
 */
export function askFrom (request: AgentRequest<'list'>, { after, offset, limit }: SeekAsk): AgentRequest<'list'> {
  const asked: AgentRequest<'list'> = { cluster_uuid: request.cluster_uuid, limit }
  if (request.tenant !== undefined) asked.tenant = request.tenant
  if (request.filter_name !== undefined) asked.filter_name = request.filter_name
  if (request.namespaces !== undefined) asked.namespaces = request.namespaces
  if (request.exclude_namespaces !== undefined) asked.exclude_namespaces = request.exclude_namespaces
  if (offset !== undefined) asked.offset = offset
  if (after !== undefined) asked.after = after
  return asked
}

/** One route's part of a list: what it was asked, and how it answered. */
export interface RouteList {
  request: AgentRequest<'list'>
  answer: Settled<ListAnswer>
}

/** `skipped`: how many of the list's items come before the parts' items (a page sought with the cursor). */
export function mergeList (query: ListQuery, parts: readonly RouteList[], skipped = 0): ListResult {
  const healthy = parts.flatMap(({ answer }) => answer.ok ? [answer.value] : [])
  const cluster = healthy[0]?.cluster ?? { uuid: query.cluster_uuid.toLowerCase(), name: '', mode: '' }
  const { uuid, name, mode } = cluster
  const ranges = parts.flatMap(({ request, answer }): RangeState[] => {
    if (answer.ok) {
      return answer.value.ranges.map((range) =>
        ({ cluster_uuid: uuid, cluster_name: name, cluster_mode: mode, namespace_uuid: range.namespace_uuid, total_count: range.total_count }))
    }
    // A catch-all route's ranges are unknown while it is down: one entry stands for them.
    return (request.namespaces ?? ['']).map((namespace) =>
      ({ cluster_uuid: uuid, cluster_name: name, cluster_mode: mode, namespace_uuid: namespace, error: answer.error, total_count: 0 }))
  })
  const items = healthy.flatMap((answer) => answer.items).sort(compareListKeys)
  const start = query.page_num * query.page_size - skipped
  return {
    TotalCount: ranges.reduce((sum, range) => sum + range.total_count, 0),
    List: query.page_size === 0 ? items : items.slice(start, start + query.page_size),
    each_range_list_state: ranges
  }
}
