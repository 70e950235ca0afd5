// The demo topology (fixtures/demo-topology.json, the spec's own ids) and the ids tests name,
// read from that file by name so no test retypes a uuid: one source for every test.
import { type Topology, loadTopology } from '../../simulator/index.js'

export const DEMO_TOPOLOGY = 'fixtures/demo-topology.json'

export const demoTopology: Topology = loadTopology(DEMO_TOPOLOGY)

function uuidOf (kind: string, items: ReadonlyArray<{ uuid: string }>, pick: (item: any) => boolean): string {
  const found = items.find(pick)
  if (found === undefined) throw new Error(`${DEMO_TOPOLOGY} has no such ${kind}`)
  return found.uuid
}

const cluster = demoTopology.clusters[0]
if (cluster === undefined) throw new Error(`${DEMO_TOPOLOGY} has no cluster`)
const tenant = (name: string) => uuidOf('tenant', demoTopology.tenants, (t) => t.name === name)
const volume = (name: string) => uuidOf('volume', demoTopology.volumes, (v) => v.name === name)
const ken = tenant('ken')
const lin = tenant('lin')

/** Ids of the demo topology, by the names tests use. */
export const DEMO = {
  cluster: cluster.uuid,
  ken,
  lin,
  namespace: uuidOf('namespace', cluster.namespaces, (n) => n.tenants?.includes(ken)),
  linNamespace: uuidOf('namespace', cluster.namespaces, (n) => n.tenants?.includes(lin)),
  kenVm: uuidOf('vm', demoTopology.vms, (v) => v.name === 'ken-vm-1'),
  linVm: uuidOf('vm', demoTopology.vms, (v) => v.name === 'lin-vm-1'),
  host1: uuidOf('host', cluster.hosts, (h) => h.maddr === '10.30.12.237'),
  host2: uuidOf('host', cluster.hosts, (h) => h.maddr === '10.30.12.238'),
  kenVolume: volume('ken-vm-1-volume1-0'),
  vol1: volume('vol-1'),
  cdp1: volume('cdp-1'),
  linVolume: volume('lin-vm-1-volume1-0'),
  linData: volume('lin-data')
} as const
