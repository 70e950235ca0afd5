// List: the cluster's CDP volumes a tenant may see, filtered by folded name or uuid substring, one
// page in (name, uuid) order, with a count per namespace range. The name index
// (list-index.ts) finds the page; the SQL below finds the same one without it, and is
// what the index is checked against.
import type { CdpListItem, ListQuery, ListResult, RangeState } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { foldForSearch } from '../src/search-fold.js'
import { fromStored } from './cdp.js'
import { countUpTo, type IndexEntry, type ListIndex } from './list-index.js'
import type { Sql } from './sql.js'

/** What a query covers: its cluster, the tenant's id (-1: an unknown tenant, which sees nothing), the ranges, the folded filter. */
interface ListScope {
  cluster: { id: bigint, uuid: string, name: string, mode: string }
  tenantId: bigint | null
  ranges: Array<{ id: bigint, uuid: string }>
  filter: string
}

/** A page row as an array, in ITEM_COLUMNS order, written out field by field into its item (listCdps). */
type ItemRow = [tenant: string, tenant_name: string, volume_uuid: string, volume_name: string, vm_name: string, vm_uuid: string,
  reserve_duration: bigint, reserve_capacity: bigint, cdp_create_time: bigint, cdp_state: CdpListItem['cdp_state'], cdp_priority: CdpListItem['cdp_priority']]

/** The matches found: how many in each range, the page's rows in list order, and (with `after`) how many precede it. */
interface Found { counts: Map<bigint, number>, rows: ItemRow[], before?: number }

const ITEM_COLUMNS = `t.uuid, t.name, v.uuid, v.name, coalesce(vm.name, ''), coalesce(vm.uuid, ''),
  cdp.reserve_duration, cdp.reserve_capacity, cdp.create_time, cdp.state, cdp.priority`

const ITEM_JOINS = 'JOIN cdp ON cdp.volume_id = v.id JOIN tenant t ON t.id = v.tenant_id LEFT JOIN vm ON vm.id = v.vm_id'

/** The index's page: the items of the volume ids in a JSON array, in its order. Built once: each call's string would be hashed again. */
const PAGE_BY_IDS = `SELECT ${ITEM_COLUMNS} FROM json_each(?) AS page JOIN volume v ON v.id = page.value ${ITEM_JOINS} ORDER BY page.key`

/** The list, through `index` when given (and no transaction is open, whose writes could still be undone). */
export function listCdps (sql: Sql, query: ListQuery, index?: ListIndex): ListResult {
  const scope = listScope(sql, query)
  const found = index === undefined || sql.transactionOpen ? bySql(sql, scope, query) : byIndex(sql, index, scope, query)
  const { cluster, ranges } = scope
  // Written out, not spread from one object: V8 (Node 20) builds an object that starts with
  // a spread and goes on with more properties about 100 times slower (10 µs an item).
  return {
    TotalCount: [...found.counts.values()].reduce((a, b) => a + b, 0),
    List: found.rows.map(([tenant, tenantName, volumeUuid, volumeName, vmName, vmUuid, reserveDuration, reserveCapacity, createTime, state, priority]) => ({
      cluster_uuid: cluster.uuid,
      cluster_name: cluster.name,
      cluster_mode: cluster.mode,
      tenant,
      tenant_name: tenantName,
      volume_uuid: volumeUuid,
      volume_name: volumeName,
      vm_name: vmName,
      vm_uuid: vmUuid,
      reserve_duration: fromStored(reserveDuration),
      reserve_capacity: reserveCapacity,
      cdp_create_time: Number(createTime),
      cdp_state: state,
      cdp_priority: priority
    })),
    each_range_list_state: ranges.map((r): RangeState => ({
      cluster_uuid: cluster.uuid, cluster_name: cluster.name, cluster_mode: cluster.mode, namespace_uuid: r.uuid, total_count: found.counts.get(r.id) ?? 0
    })),
    ...(found.before === undefined ? {} : { before: found.before })
  }
}

function listScope (sql: Sql, query: ListQuery): ListScope {
  const cluster = sql.get<ListScope['cluster']>('SELECT id, uuid, name, mode FROM cluster WHERE uuid = ?', query.cluster_uuid.toLowerCase())
  if (cluster === undefined) throw new CdpError('CLUSTER_NOT_FOUND', query.cluster_uuid)
  const tenant = query.tenant?.toLowerCase() ?? null
  const tenantId = tenant === null ? null : sql.get<{ id: bigint }>('SELECT id FROM tenant WHERE uuid = ?', tenant)?.id ?? -1n
  // Ranges are the cluster's namespaces that the tenant (if named) may see.
  const only = query.namespaces === undefined ? null : JSON.stringify(query.namespaces.map((ns) => ns.toLowerCase()))
  const except = JSON.stringify((query.exclude_namespaces ?? []).map((ns) => ns.toLowerCase()))
  const ranges = sql.all<{ id: bigint, uuid: string }>(`
    SELECT n.id, n.uuid FROM namespace n WHERE n.cluster_id = @cluster
      AND (@tenant IS NULL OR n.open_to_all = 1 OR EXISTS (
        SELECT 1 FROM namespace_tenant nt WHERE nt.namespace_id = n.id AND nt.tenant_id = @tenant))
      AND (@only IS NULL OR n.uuid IN (SELECT value FROM json_each(@only)))
      AND n.uuid NOT IN (SELECT value FROM json_each(@except))
    ORDER BY n.id`, { cluster: cluster.id, tenant: tenantId, only, except })
  return { cluster, tenantId, ranges, filter: foldForSearch(query.filter_name ?? '') }
}

/** Where the page starts in the matches, and how many it holds (Infinity: all of them). */
function pageBounds (query: ListQuery): { offset: number, limit: number } {
  return query.page_size === 0 ? { offset: 0, limit: Infinity } : { offset: query.page_num * query.page_size, limit: query.page_size }
}

/** Counts without a filter come from cdp_count, kept by triggers, not from a scan. */
function unfilteredCounts (sql: Sql, { tenantId, ranges }: ListScope): Map<bigint, number> {
  return new Map(sql.all<{ namespace_id: bigint, n: bigint }>(`
    SELECT namespace_id, sum(n) AS n FROM cdp_count
    WHERE (@tenant IS NULL OR tenant_id = @tenant) AND namespace_id IN (SELECT value FROM json_each(@ranges))
    GROUP BY namespace_id`, { tenant: tenantId, ranges: rangeIds(ranges) }).map((row) => [row.namespace_id, Number(row.n)]))
}

function rangeIds (ranges: ListScope['ranges']): string {
  return JSON.stringify(ranges.map((r) => Number(r.id)))
}

function byIndex (sql: Sql, index: ListIndex, scope: ListScope, query: ListQuery): Found {
  const { offset, limit } = pageBounds(query)
  const entries = index.entriesOf(Number(scope.cluster.id))
  if (entries === undefined) return { counts: new Map(), rows: [], ...(query.after === undefined ? {} : { before: 0 }) }
  const ranges = new Set(scope.ranges.map((r) => Number(r.id)))
  const tenant = scope.tenantId === null ? null : Number(scope.tenantId)
  const everything = tenant === null && entries.coversAll(ranges)
  const inScope = (entry: IndexEntry): boolean => ranges.has(entry.namespaceId) && (tenant === null || entry.tenantId === tenant)
  let matched: readonly IndexEntry[]
  let counts: Map<bigint, number>
  const uuidHits = (): number[] =>
    sql.prepare('SELECT rowid FROM volume_search WHERE uuid LIKE ?').pluck().safeIntegers(false).all(`%${scope.filter}%`) as number[]
  if (scope.filter === '' && everything) {
    counts = unfilteredCounts(sql, scope)
    matched = entries.sorted
  } else {
    const matches = entries.matching(scope.filter, everything ? '' : `${tenant ?? ''}:${[...ranges].join(',')}`, everything ? () => true : inScope, uuidHits)
    counts = new Map(scope.ranges.map((r) => [r.id, matches.perNamespace.get(Number(r.id)) ?? 0]))
    matched = matches.entries
  }
  const before = query.after === undefined ? undefined : countUpTo(matched, query.after)
  const start = (before ?? 0) + offset
  const page = matched.slice(start, start + limit)
  const rows = page.length === 0
    ? []
    : sql.prepare(PAGE_BY_IDS).raw().all(JSON.stringify(page.map((entry) => entry.id))) as ItemRow[]
  return { counts, rows, ...(before === undefined ? {} : { before }) }
}

function bySql (sql: Sql, scope: ListScope, query: ListQuery): Found {
  const { cluster, tenantId, ranges, filter } = scope
  const args = { cluster: cluster.id, tenant: tenantId, ranges: rangeIds(ranges), ...(filter === '' ? {} : { filter, pattern: `%${filter}%` }) }
  // A filter of three or more plain characters starts from the trigram index's
  // candidates; shorter ones, or ones with LIKE's wildcards % and _, scan the cluster's
  // volumes. instr() decides exact substrings either way.
  const source = [...filter].length < 3 || /[%_]/.test(filter)
    ? 'volume v'
    : `(SELECT rowid AS id FROM volume_search WHERE search_name LIKE @pattern
        UNION SELECT rowid FROM volume_search WHERE uuid LIKE @pattern) AS hit
      CROSS JOIN volume v ON v.id = hit.id`
  const matches = (joins: string): string => `
    FROM ${source} ${joins}
    WHERE v.cluster_id = @cluster AND (@tenant IS NULL OR v.tenant_id = @tenant)
      AND v.namespace_id IN (SELECT value FROM json_each(@ranges))
      ${filter === '' ? '' : 'AND (instr(v.search_name, @filter) > 0 OR instr(v.uuid, @filter) > 0)'}`
  const counts = filter === ''
    ? unfilteredCounts(sql, scope)
    : new Map(sql.all<{ namespace_id: bigint, n: bigint }>(`SELECT v.namespace_id, count(*) AS n ${matches('JOIN cdp ON cdp.volume_id = v.id')}
        GROUP BY v.namespace_id`, args).map((row) => [row.namespace_id, Number(row.n)]))
  const { offset, limit } = pageBounds(query)
  const after = query.after === undefined ? {} : { name: query.after.volume_name, uuid: query.after.volume_uuid.toLowerCase() }
  const rows = sql.prepare(`SELECT ${ITEM_COLUMNS} ${matches(ITEM_JOINS)}
    ${query.after === undefined ? '' : 'AND (v.name, v.uuid) > (@name, @uuid)'}
    ORDER BY v.name, v.uuid LIMIT @limit OFFSET @offset`).raw().all({ ...args, ...after, limit: limit === Infinity ? -1 : limit, offset }) as ItemRow[]
  if (query.after === undefined) return { counts, rows }
  const before = sql.get<{ n: bigint }>(`SELECT count(*) AS n ${matches('JOIN cdp ON cdp.volume_id = v.id')}
    AND (v.name, v.uuid) <= (@name, @uuid)`, { ...args, ...after })?.n ?? 0n
  return { counts, rows, before: Number(before) }
}
