// List: the cluster's CDP volumes a tenant may see, filtered by folded name or uuid substring, one
// page in (name, uuid) order, with a count per namespace range.
import type { CdpListItem, ListQuery, ListResult, RangeState } from '../src/backend/port.js'
import { CdpError } from '../src/errors.js'
import { foldForSearch } from '../src/search-fold.js'
import { fromStored } from './cdp.js'
import type { Sql } from './sql.js'

export function listCdps (sql: Sql, query: ListQuery): ListResult {
  const cluster = sql.get<{ id: bigint, uuid: string, name: string, mode: string }>(
    'SELECT id, uuid, name, mode FROM cluster WHERE uuid = ?', query.cluster_uuid.toLowerCase())
  if (cluster === undefined) throw new CdpError('CLUSTER_NOT_FOUND', query.cluster_uuid)
  const tenant = query.tenant?.toLowerCase() ?? null
  const tenantId = tenant === null ? null : sql.get<{ id: bigint }>('SELECT id FROM tenant WHERE uuid = ?', tenant)?.id ?? -1n
  const filter = foldForSearch(query.filter_name ?? '')
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
  const rangeIds = JSON.stringify(ranges.map((r) => Number(r.id)))
  const args = { cluster: cluster.id, tenant: tenantId, ranges: rangeIds, ...(filter === '' ? {} : { filter, pattern: `%${filter}%` }) }
  // A filter of three or more plain characters starts from the trigram index's
  // candidates; shorter ones, or ones with LIKE's wildcards % and _, scan the cluster's
  // volumes. instr() decides exact substrings either way.
  const source = [...filter].length < 3 || /[%_]/.test(filter)
    ? 'volume v'
    : `(SELECT rowid AS id FROM volume_search WHERE search_name LIKE @pattern
        UNION SELECT rowid FROM volume_search WHERE uuid LIKE @pattern) AS hit
      CROSS JOIN volume v ON v.id = hit.id`
  const matches = (joins = ''): string => `
    FROM ${source} ${joins} JOIN cdp ON cdp.volume_id = v.id
    WHERE v.cluster_id = @cluster AND (@tenant IS NULL OR v.tenant_id = @tenant)
      AND v.namespace_id IN (SELECT value FROM json_each(@ranges))
      ${filter === '' ? '' : 'AND (instr(v.search_name, @filter) > 0 OR instr(v.uuid, @filter) > 0)'}`
  const counted = filter === ''
    ? `SELECT namespace_id, sum(n) AS n FROM cdp_count
        WHERE (@tenant IS NULL OR tenant_id = @tenant) AND namespace_id IN (SELECT value FROM json_each(@ranges))
        GROUP BY namespace_id`
    : `SELECT v.namespace_id, count(*) AS n ${matches()} GROUP BY v.namespace_id`
  const counts = new Map(sql.all<{ namespace_id: bigint, n: bigint }>(counted, filter === '' ? { tenant: tenantId, ranges: rangeIds } : args)
    .map((row) => [row.namespace_id, Number(row.n)]))
  const limit = query.page_size === 0 ? -1 : query.page_size
  const offset = query.page_size === 0 ? 0 : query.page_num * query.page_size
  const rows = sql.all<Omit<CdpListItem, 'reserve_duration' | 'cdp_create_time' | 'cluster_uuid' | 'cluster_name' | 'cluster_mode'> & { reserve_duration: bigint, cdp_create_time: bigint }>(`
    SELECT t.uuid AS tenant, t.name AS tenant_name, v.uuid AS volume_uuid, v.name AS volume_name,
      coalesce(vm.name, '') AS vm_name, coalesce(vm.uuid, '') AS vm_uuid,
      cdp.reserve_duration, cdp.reserve_capacity, cdp.create_time AS cdp_create_time,
      cdp.state AS cdp_state, cdp.priority AS cdp_priority
    ${matches('JOIN tenant t ON t.id = v.tenant_id LEFT JOIN vm ON vm.id = v.vm_id')}
    ORDER BY v.name, v.uuid LIMIT @limit OFFSET @offset`, { ...args, limit, offset })
  const where = { cluster_uuid: cluster.uuid, cluster_name: cluster.name, cluster_mode: cluster.mode }
  return {
    TotalCount: [...counts.values()].reduce((a, b) => a + b, 0),
    List: rows.map((row) => ({
      ...where,
      ...row,
      reserve_duration: fromStored(row.reserve_duration),
      cdp_create_time: Number(row.cdp_create_time)
    })),
    each_range_list_state: ranges.map((r): RangeState => ({ ...where, namespace_uuid: r.uuid, total_count: counts.get(r.id) ?? 0 }))
  }
}
