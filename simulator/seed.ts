// Loads a topology into an empty simulator database; a database that already has a cluster
// keeps its own, so a file-backed simulator survives restarts with its state.
import type { Database } from 'better-sqlite3'
import { foldForSearch } from '../src/search-fold.js'
import { quotaShares, type Topology } from './topology.js'

export function seedTopology (db: Database, topology: Topology): void {
  const id = (table: string) => {
    const stmt = db.prepare(`SELECT id FROM ${table} WHERE uuid = ?`).pluck()
    return (uuid: string) => stmt.get(uuid.toLowerCase()) as bigint
  }
  const insertCluster = db.prepare('INSERT INTO cluster (uuid, name, mode) VALUES (?, ?, ?)')
  const insertNamespace = db.prepare('INSERT INTO namespace (uuid, cluster_id, open_to_all) VALUES (?, ?, ?)')
  const insertNamespaceTenant = db.prepare('INSERT INTO namespace_tenant (namespace_id, tenant_id) VALUES (?, ?)')
  const insertHost = db.prepare('INSERT INTO host (uuid, cluster_id, maddr) VALUES (?, ?, ?)')
  const insertDisk = db.prepare('INSERT INTO cdp_disk (host_id, path, capacity) VALUES (?, ?, ?)')
  const insertTenant = db.prepare('INSERT INTO tenant (uuid, name) VALUES (?, ?)')
  const insertShare = db.prepare(`INSERT INTO tenant_share (tenant_id, cluster_id, disk_id, size)
    SELECT ?, h.cluster_id, d.id, ? FROM cdp_disk d JOIN host h ON h.id = d.host_id WHERE h.uuid = ? AND d.path = ?`)
  const setAside = db.prepare('UPDATE cdp_disk SET reserved = reserved + ? WHERE path = ? AND host_id = (SELECT id FROM host WHERE uuid = ?)')
  const insertVm = db.prepare('INSERT INTO vm (uuid, name, running) VALUES (?, ?, ?)')
  const insertVolume = db.prepare(`INSERT INTO volume
    (uuid, name, search_name, size, cluster_id, namespace_id, tenant_id, vm_id, multiple, vm_type, owner)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const tenantId = id('tenant')
  const clusterId = id('cluster')
  const namespaceId = id('namespace')
  const vmId = id('vm')

  // Checked inside one write transaction: two processes opening one new file seed it once.
  db.transaction(() => {
    if (db.prepare('SELECT 1 FROM cluster LIMIT 1').get() !== undefined) return
    for (const t of topology.tenants) insertTenant.run(t.uuid.toLowerCase(), t.name)
    for (const vm of topology.vms) insertVm.run(vm.uuid.toLowerCase(), vm.name, vm.running ? 1 : 0)
    for (const c of topology.clusters) {
      const cluster = insertCluster.run(c.uuid.toLowerCase(), c.name, c.mode).lastInsertRowid
      for (const ns of c.namespaces) {
        const namespace = insertNamespace.run(ns.uuid.toLowerCase(), cluster, ns.tenants === undefined ? 1 : 0).lastInsertRowid
        for (const t of ns.tenants ?? []) insertNamespaceTenant.run(namespace, tenantId(t))
      }
      for (const h of c.hosts) {
        const host = insertHost.run(h.uuid.toLowerCase(), cluster, h.maddr).lastInsertRowid
        for (const d of h.cdp_disks) insertDisk.run(host, d.path, d.capacity)
      }
    }
    for (const share of quotaShares(topology)) {
      insertShare.run(tenantId(share.tenant), share.size, share.host.toLowerCase(), share.path)
      setAside.run(share.size, share.path, share.host.toLowerCase())
    }
    for (const v of topology.volumes) {
      insertVolume.run(v.uuid.toLowerCase(), v.name, foldForSearch(v.name), v.size, clusterId(v.cluster), namespaceId(v.namespace),
        tenantId(v.tenant), v.vm === undefined ? null : vmId(v.vm), v.multiple === true ? 1 : 0,
        v.vm_type ?? '', v.owner ?? '')
    }
    db.exec("INSERT INTO volume_search (volume_search) VALUES ('rebuild')")
  }).immediate()
}
