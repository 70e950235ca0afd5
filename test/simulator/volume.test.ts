// Volumes as requests name them, called directly over a seeded in-memory database: found in
// any letter case, missing when another cluster, tenant or unserved namespace holds them.
import t from 'tap'
import { CdpError } from '../../src/errors.js'
import { openDatabase } from '../../simulator/schema.js'
import { seedTopology } from '../../simulator/seed.js'
import { sqlOver, type Sql } from '../../simulator/sql.js'
import { identityOf, resolveVolume, volumeByUuid, volumeFacts } from '../../simulator/volume.js'
import { DEMO, demoTopology } from '../helpers/demo.js'

function demoSql (): Sql {
  const db = openDatabase(':memory:')
  db.defaultSafeIntegers(true) // as the simulator opens it: integers read as bigint
  seedTopology(db, demoTopology)
  return sqlOver(db)
}

const MISSING = '00000000-0000-4000-8000-000000000000'

function topologyVolume (uuid: string) {
  const found = demoTopology.volumes.find((v) => v.uuid === uuid)
  if (found === undefined) throw new Error(`no demo volume ${uuid}`)
  return found
}

/** Runs `fn` and returns the catalogue name of the CdpError it throws. */
function refusal (fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (err instanceof CdpError) return err.code
    throw err
  }
  return 'no error'
}

t.test('a volume is found by its uuid in any letter case; an unknown uuid is VOLUME_NOT_FOUND', async (t) => {
  const sql = demoSql()
  t.teardown(() => sql.close())
  t.equal(volumeByUuid(sql, DEMO.cdp1.toUpperCase()).uuid, DEMO.cdp1)
  t.equal(refusal(() => volumeByUuid(sql, MISSING)), 'VOLUME_NOT_FOUND')
})

t.test('a reference resolves in any letter case, with or without its tenant', async (t) => {
  const sql = demoSql()
  t.teardown(() => sql.close())
  const upper = { cluster_uuid: DEMO.cluster.toUpperCase(), volume_uuid: DEMO.cdp1.toUpperCase() }
  t.equal(resolveVolume(sql, upper).uuid, DEMO.cdp1, 'no tenant named')
  t.equal(resolveVolume(sql, { ...upper, tenant: DEMO.ken.toUpperCase() }).uuid, DEMO.cdp1, 'its own tenant')
  t.equal(resolveVolume(sql, upper, new Set([DEMO.namespace])).uuid, DEMO.cdp1, 'a slice that serves its namespace')
})

t.test('an unknown cluster is CLUSTER_NOT_FOUND; a volume missing, of another tenant or of an unserved namespace is VOLUME_NOT_FOUND', async (t) => {
  const sql = demoSql()
  t.teardown(() => sql.close())
  const ref = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }
  t.equal(refusal(() => resolveVolume(sql, { ...ref, cluster_uuid: MISSING })), 'CLUSTER_NOT_FOUND', 'a real volume, an unknown cluster')
  t.equal(refusal(() => resolveVolume(sql, { ...ref, volume_uuid: MISSING })), 'VOLUME_NOT_FOUND', 'no such volume')
  t.equal(refusal(() => resolveVolume(sql, { ...ref, volume_uuid: MISSING, tenant: DEMO.ken })), 'VOLUME_NOT_FOUND', 'no such volume, a tenant named')
  t.equal(refusal(() => resolveVolume(sql, { ...ref, tenant: DEMO.lin })), 'VOLUME_NOT_FOUND', 'another tenant\'s volume')
  t.equal(refusal(() => resolveVolume(sql, ref, new Set([DEMO.linNamespace]))), 'VOLUME_NOT_FOUND', 'outside the served namespaces')
  t.equal(refusal(() => resolveVolume(sql, { ...ref, tenant: DEMO.lin }, new Set([DEMO.namespace]))), 'VOLUME_NOT_FOUND', 'served, but another tenant\'s')
})

t.test('a volume\'s identity carries its cluster, tenant and the topology\'s multiple, vm_type and owner', async (t) => {
  const sql = demoSql()
  t.teardown(() => sql.close())
  const cluster = demoTopology.clusters[0]
  for (const uuid of [DEMO.linData, DEMO.cdp1]) {
    const v = topologyVolume(uuid)
    const tenant = demoTopology.tenants.find((x) => x.uuid === v.tenant)
    t.strictSame(identityOf(volumeByUuid(sql, uuid)), {
      cluster_uuid: cluster?.uuid,
      cluster_name: cluster?.name,
      cluster_mode: cluster?.mode,
      tenant: v.tenant,
      tenant_name: tenant?.name,
      multiple: v.multiple === true,
      vm_type: v.vm_type ?? '',
      volume_uuid: v.uuid,
      volume_name: v.name,
      owner: v.owner ?? ''
    }, v.name)
  }
})

t.test('volume facts list every volume in topology order with its size and tenant, CDP state none before any enable', async (t) => {
  const sql = demoSql()
  t.teardown(() => sql.close())
  const expected = demoTopology.volumes.map((v) => ({ uuid: v.uuid, name: v.name, size: v.size, tenant: v.tenant, cdp_state: 'none' }))
  t.strictSame(volumeFacts(sql), expected, 'no CDP anywhere yet')
})
