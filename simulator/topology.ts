// The cluster a simulator models, as a fixture file describes it. Checked on load so a typo
// in a fixture is a clear message, not a half-loaded cluster.
import { deflateRawSync, inflateRawSync } from 'node:zlib'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { fromSettingFile, readJsonFile } from '../src/json-file.js'
import { UUID_PATTERN } from '../src/uuid.js'

const Uuid = Type.String({ pattern: UUID_PATTERN })
const Bytes = Type.Integer({ minimum: 0 })

export const TopologySchema = Type.Object({
  clusters: Type.Array(Type.Object({
    uuid: Uuid,
    name: Type.String(),
    mode: Type.String(),
    /** `tenants` lists who may see the namespace; absent means every tenant. */
    namespaces: Type.Array(Type.Object({ uuid: Uuid, tenants: Type.Optional(Type.Array(Uuid)) }), { minItems: 1 }),
    hosts: Type.Array(Type.Object({
      uuid: Uuid,
      maddr: Type.String(),
      cdp_disks: Type.Array(Type.Object({ path: Type.String(), capacity: Bytes }))
    }))
  })),
  /** `cdp_quota`: bytes of reserve_capacity the tenant may hold in each cluster, set aside for it alone. */
  tenants: Type.Array(Type.Object({ uuid: Uuid, name: Type.String(), cdp_quota: Type.Optional(Bytes) })),
  vms: Type.Array(Type.Object({ uuid: Uuid, name: Type.String(), running: Type.Boolean() })),
  volumes: Type.Array(Type.Object({
    uuid: Uuid,
    name: Type.String(),
    size: Bytes,
    cluster: Uuid,
    namespace: Uuid,
    tenant: Uuid,
    vm: Type.Optional(Uuid),
    multiple: Type.Optional(Type.Boolean()),
    vm_type: Type.Optional(Type.String()),
    owner: Type.Optional(Type.String())
  }))
})

export type Topology = Static<typeof TopologySchema>

export function parseTopology (value: unknown, source = 'topology'): Topology {
  const first = Value.Errors(TopologySchema, value).First()
  if (first !== undefined) {
    throw new Error(`${source}: ${first.path || '/'} ${first.message}`)
  }
  const topology = value as Topology
  const known = (kind: string, ids: Iterable<string>) => {
    const set = new Set(ids)
    return (id: string | undefined, where: string) => {
      if (id !== undefined && !set.has(id)) throw new Error(`${source}: ${where} names unknown ${kind} ${id}`)
    }
  }
  const cluster = known('cluster', topology.clusters.map((c) => c.uuid))
  const namespace = known('namespace', topology.clusters.flatMap((c) => c.namespaces.map((n) => n.uuid)))
  const tenant = known('tenant', topology.tenants.map((t) => t.uuid))
  const vm = known('vm', topology.vms.map((v) => v.uuid))
  topology.volumes.forEach((v, i) => {
    cluster(v.cluster, `/volumes/${i}/cluster`)
    namespace(v.namespace, `/volumes/${i}/namespace`)
    tenant(v.tenant, `/volumes/${i}/tenant`)
    vm(v.vm, `/volumes/${i}/vm`)
    if (v.size % 4096 !== 0) throw new Error(`${source}: /volumes/${i}/size must be a multiple of 4096`)
  })
  quotaShares(topology, source)
  return topology
}

/** Where a tenant's cdp_quota in a cluster is set aside: one CDP disk. */
export interface QuotaShare { tenant: string, cluster: string, host: string, path: string, size: number }

/**
 * Places every quota on one disk of each cluster the tenant has volumes in, largest quota
 * first on the disk with most room left. A quota is a promise, so one that no disk can keep
 * is a topology error.
 */
export function quotaShares (topology: Topology, source = 'topology'): QuotaShare[] {
  const shares: QuotaShare[] = []
  for (const c of topology.clusters) {
    const room = c.hosts.flatMap((h) => h.cdp_disks.map((d) => ({ host: h.uuid, path: d.path, left: d.capacity })))
    const tenantsHere = new Set(topology.volumes.filter((v) => v.cluster === c.uuid).map((v) => v.tenant))
    const quotas = topology.tenants.filter((t) => t.cdp_quota !== undefined && tenantsHere.has(t.uuid))
      .sort((a, b) => (b.cdp_quota ?? 0) - (a.cdp_quota ?? 0))
    for (const t of quotas) {
      const size = t.cdp_quota ?? 0
      const disk = room.reduce<typeof room[number] | undefined>((best, d) => best === undefined || d.left > best.left ? d : best, undefined)
      if (disk === undefined || disk.left < size) {
        throw new Error(`${source}: the cdp_quota ${size} of tenant ${t.uuid} fits on no CDP disk of cluster ${c.uuid} beside the other quotas`)
      }
      disk.left -= size
      shares.push({ tenant: t.uuid, cluster: c.uuid, host: disk.host, path: disk.path, size })
    }
  }
  return shares
}

/** A topology file; a file that cannot be used names the setting that named it, the path and the fault. */
export function loadTopology (path: string, setting = 'CDP_SIM_TOPOLOGY'): Topology {
  const raw = readJsonFile(setting, path)
  return fromSettingFile(setting, path, () => parseTopology(raw, 'topology'))
}

/** A topology file named by a setting, for the simulator to read itself (in its worker thread, so the main thread never holds it). */
export interface TopologyFile { file: string, setting: string }

/**
 * A topology, and how to have it again for a reset. From a file, what is kept is the
 * parsed value re-serialised and compressed (about a twentieth of the objects' memory at
 * 100,000 volumes), not the objects: the topology is needed again only when reset.
 */
export function topologyOf (source: Topology | TopologyFile): { topology: Topology, again: () => Topology } {
  if (!('file' in source)) return { topology: source, again: () => source }
  const topology = loadTopology(source.file, source.setting)
  const kept = deflateRawSync(JSON.stringify(topology), { level: 1 })
  return { topology, again: () => JSON.parse(inflateRawSync(kept).toString()) as Topology }
}

/**
 * The namespaces one agent serves of a topology it holds whole (several agents share one
 * database, each serving a slice), lower-cased. A namespace the topology does not have is
 * an error.
 */
export function servedNamespaces (topology: Topology, namespaces: readonly string[]): string[] {
  const served = [...new Set(namespaces.map((uuid) => uuid.toLowerCase()))]
  const known = new Set(topology.clusters.flatMap((c) => c.namespaces.map((n) => n.uuid.toLowerCase())))
  const unknown = served.filter((uuid) => !known.has(uuid))
  if (unknown.length > 0) throw new Error(`unknown namespace ${unknown.join(', ')}`)
  return served
}
