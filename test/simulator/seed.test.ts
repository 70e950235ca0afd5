// Seeding a topology into an empty database, read back table by table: uuids lower-cased, the
// namespaces' tenants, hosts and disks, quota shares set aside, VMs and volumes with their
// defaults, the name search built; a database that already has a cluster keeps its own.
import Database from 'better-sqlite3'
import t from 'tap'
import { foldForSearch } from '../../src/search-fold.js'
import { openDatabase } from '../../simulator/schema.js'
import { seedTopology } from '../../simulator/seed.js'
import type { Topology } from '../../simulator/topology.js'

const U = (n: number): string => `0000000${n}-AAAA-4BBB-8CCC-DDDDDDDDDDDD`
const lower = (n: number): string => U(n).toLowerCase()
const GiB = 1024 ** 3

// Upper-case uuids throughout: the seed stores them lower-case, as requests are matched.
const topology: Topology = {
  clusters: [{
    uuid: U(1),
    name: 'c-one',
    mode: 'distributed',
    namespaces: [{ uuid: U(2), tenants: [U(4)] }, { uuid: U(3) }],
    hosts: [{ uuid: U(5), maddr: 'h5', cdp_disks: [{ path: '/d/a', capacity: 10 * GiB }, { path: '/d/b', capacity: 20 * GiB }] }]
  }],
  tenants: [{ uuid: U(4), name: 'alpha', cdp_quota: 3 * GiB }, { uuid: U(6), name: 'beta' }],
  vms: [{ uuid: U(7), name: 'vm-on', running: true }, { uuid: U(8), name: 'vm-off', running: false }],
  volumes: [
    { uuid: U(9), name: 'Café Volume', size: GiB, cluster: U(1), namespace: U(2), tenant: U(4), vm: U(7), multiple: true, vm_type: 'kvm', owner: 'al' },
    { uuid: lower(9).replace('00000009', '0000000a'), name: 'plain', size: 2 * GiB, cluster: U(1), namespace: U(3), tenant: U(6) },
    { uuid: lower(9).replace('00000009', '0000000b'), name: 'off-vm', size: 3 * GiB, cluster: U(1), namespace: U(3), tenant: U(6), vm: U(8), multiple: false }
  ]
}

function seeded (): Database.Database {
  const db = openDatabase(':memory:')
  seedTopology(db, topology)
  return db
}

const rows = (db: Database.Database, sql: string): unknown[] => db.prepare(sql).raw().all()

t.test('clusters, namespaces with their tenants, hosts and disks go in as the topology says, uuids lower-cased', async (t) => {
  const db = seeded()
  t.teardown(() => db.close())
  t.strictSame(rows(db, 'SELECT uuid, name, mode FROM cluster'), [[lower(1), 'c-one', 'distributed']])
  t.strictSame(rows(db, 'SELECT n.uuid, c.uuid, n.open_to_all FROM namespace n JOIN cluster c ON c.id = n.cluster_id ORDER BY n.uuid'),
    [[lower(2), lower(1), 0], [lower(3), lower(1), 1]], 'a namespace with tenants is not open to all')
  t.strictSame(rows(db, 'SELECT n.uuid, t.uuid FROM namespace_tenant x JOIN namespace n ON n.id = x.namespace_id JOIN tenant t ON t.id = x.tenant_id'),
    [[lower(2), lower(4)]])
  t.strictSame(rows(db, 'SELECT h.uuid, c.uuid, h.maddr FROM host h JOIN cluster c ON c.id = h.cluster_id'), [[lower(5), lower(1), 'h5']])
  t.strictSame(rows(db, 'SELECT h.uuid, d.path, d.capacity FROM cdp_disk d JOIN host h ON h.id = d.host_id ORDER BY d.path'),
    [[lower(5), '/d/a', 10 * GiB], [lower(5), '/d/b', 20 * GiB]])
})

t.test('a tenant\'s quota is a share of the roomiest disk, set aside from what others may reserve', async (t) => {
  const db = seeded()
  t.teardown(() => db.close())
  t.strictSame(rows(db, 'SELECT uuid, name FROM tenant ORDER BY uuid'), [[lower(4), 'alpha'], [lower(6), 'beta']])
  t.strictSame(rows(db, `SELECT t.uuid, c.uuid, d.path, s.size FROM tenant_share s JOIN tenant t ON t.id = s.tenant_id
    JOIN cluster c ON c.id = s.cluster_id JOIN cdp_disk d ON d.id = s.disk_id`), [[lower(4), lower(1), '/d/b', 3 * GiB]])
  t.strictSame(rows(db, 'SELECT path, reserved FROM cdp_disk ORDER BY path'), [['/d/a', 0], ['/d/b', 3 * GiB]])
})

t.test('VMs and volumes go in with their links; a volume without vm, multiple, vm_type or owner takes none, 0 and empty', async (t) => {
  const db = seeded()
  t.teardown(() => db.close())
  t.strictSame(rows(db, 'SELECT uuid, name, running FROM vm ORDER BY uuid'), [[lower(7), 'vm-on', 1], [lower(8), 'vm-off', 0]])
  t.strictSame(rows(db, `SELECT v.uuid, v.name, v.search_name, v.size, c.uuid, n.uuid, t.uuid, vm.uuid, v.multiple, v.vm_type, v.owner
    FROM volume v JOIN cluster c ON c.id = v.cluster_id JOIN namespace n ON n.id = v.namespace_id JOIN tenant t ON t.id = v.tenant_id
    LEFT JOIN vm ON vm.id = v.vm_id ORDER BY v.id`), topology.volumes.map((v) => [
    v.uuid.toLowerCase(), v.name, foldForSearch(v.name), v.size, lower(1), v.namespace.toLowerCase(), v.tenant.toLowerCase(),
    v.vm?.toLowerCase() ?? null, v.multiple === true ? 1 : 0, v.vm_type ?? '', v.owner ?? ''
  ]))
})

t.test('the name search finds a seeded volume by a piece of its folded name', async (t) => {
  const db = seeded()
  t.teardown(() => db.close())
  const piece = foldForSearch('Café Volume').slice(1, 6)
  t.strictSame(db.prepare('SELECT rowid FROM volume_search WHERE volume_search MATCH ?').pluck().all(`search_name:"${piece}"`),
    db.prepare('SELECT id FROM volume WHERE uuid = ?').pluck().all(lower(9)))
})

t.test('a database that already has a cluster keeps its own: a second seed changes nothing', async (t) => {
  const db = seeded()
  t.teardown(() => db.close())
  const tables = ['cluster', 'namespace', 'namespace_tenant', 'host', 'cdp_disk', 'tenant', 'tenant_share', 'vm', 'volume']
  const before = tables.map((name) => rows(db, `SELECT * FROM ${name}`))
  const other: Topology = { ...topology, clusters: topology.clusters.map((c) => ({ ...c, uuid: U(1).replace('1', 'f'), name: 'c-two' })), volumes: [] }
  seedTopology(db, other)
  t.strictSame(tables.map((name) => rows(db, `SELECT * FROM ${name}`)), before)
})
