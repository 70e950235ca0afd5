// The topology a simulator models: checked on load (schema, then every reference, then the
// quotas), quotas placed on CDP disks, read from a file and kept for a reset, and the
// namespaces one agent serves.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { servedNamespaces } from '../../simulator/index.js'
import { loadTopology, parseTopology, quotaShares, topologyOf, type Topology } from '../../simulator/topology.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { DEMO, demoTopology } from '../helpers/demo.js'

/** A uuid whose last group is `n`, so each id of a test topology is told apart by one number. */
const id = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`

const C1 = id(1)
const C2 = id(2)
const NS1 = id(11)
const NS2 = id(12)
const H1 = id(21)
const H2 = id(22)
const H3 = id(23)
const VM = id(31)
const T = [id(41), id(42), id(43), id(44), id(45), id(46)]

function volume (n: number, tenant: string, cluster = C1, namespace = NS1): Topology['volumes'][number] {
  return { uuid: id(100 + n), name: `v${n}`, size: 4096 * n, cluster, namespace, tenant }
}

/** Two clusters; cluster 1 has two hosts, one disk of 2,000 bytes and one of 3,000. */
function base (): Topology {
  return {
    clusters: [
      {
        uuid: C1,
        name: 'one',
        mode: 'm',
        namespaces: [{ uuid: NS1 }],
        hosts: [
          { uuid: H1, maddr: '10.0.0.1', cdp_disks: [{ path: '/dev/a', capacity: 2000 }] },
          { uuid: H2, maddr: '10.0.0.2', cdp_disks: [{ path: '/dev/b', capacity: 3000 }] }
        ]
      },
      {
        uuid: C2,
        name: 'two',
        mode: '',
        namespaces: [{ uuid: NS2, tenants: [T[0] as string] }],
        hosts: [{ uuid: H3, maddr: '10.0.0.3', cdp_disks: [{ path: '/dev/c', capacity: 10000 }] }]
      }
    ],
    tenants: T.map((uuid, i) => ({ uuid, name: `t${i}` })),
    vms: [{ uuid: VM, name: 'vm', running: true }],
    volumes: [{ ...volume(1, T[0] as string), vm: VM }, volume(2, T[1] as string)]
  }
}

t.test('a topology that fits is answered as it was given', async (t) => {
  const topology = base()
  t.equal(parseTopology(topology, 'x.json'), topology)
  t.equal(parseTopology(demoTopology), demoTopology)
})

t.test('a value that does not fit the schema is named by the source, the JSON path and the fault', async (t) => {
  t.throws(() => parseTopology(null), { message: 'topology: / Expected object' }, 'the whole value: "/", the default source "topology"')
  t.throws(() => parseTopology([], 'x.json'), { message: 'x.json: / Expected object' })
  const negative = base()
  negative.clusters[0]!.hosts[0]!.cdp_disks[0]!.capacity = -1
  t.throws(() => parseTopology(negative, 'x.json'), { message: 'x.json: /clusters/0/hosts/0/cdp_disks/0/capacity Expected integer to be greater or equal to 0' })
  const noNamespace = base()
  noNamespace.clusters[1]!.namespaces = []
  t.throws(() => parseTopology(noNamespace, 'x.json'), { message: 'x.json: /clusters/1/namespaces Expected array length to be greater or equal to 1' })
  const badUuid = base()
  badUuid.volumes[1]!.tenant = 'ken'
  t.throws(() => parseTopology(badUuid, 'x.json'), /^x\.json: \/volumes\/1\/tenant Expected string to match /)
})

t.test('a tenant without a name and a vm without its running state are refused, by their paths', async (t) => {
  const nameless = base() as unknown as { tenants: Array<Record<string, unknown>> }
  delete nameless.tenants[2]!.name
  t.throws(() => parseTopology(nameless, 'x.json'), { message: 'x.json: /tenants/2/name Expected required property' })
  const vm = base() as unknown as { vms: Array<Record<string, unknown>> }
  delete vm.vms[0]!.running
  t.throws(() => parseTopology(vm, 'x.json'), { message: 'x.json: /vms/0/running Expected required property' })
  const vmName = base() as unknown as { vms: Array<Record<string, unknown>> }
  vmName.vms[0]!.name = 7
  t.throws(() => parseTopology(vmName, 'x.json'), { message: 'x.json: /vms/0/name Expected string' })
})

t.test('a volume naming an unknown cluster, namespace, tenant or vm is an error naming the field and the id', async (t) => {
  const cases: Array<[string, (v: Topology['volumes'][number]) => void, string]> = [
    ['cluster', (v) => { v.cluster = id(9) }, `x.json: /volumes/1/cluster names unknown cluster ${id(9)}`],
    ['namespace', (v) => { v.namespace = id(9) }, `x.json: /volumes/1/namespace names unknown namespace ${id(9)}`],
    ['tenant', (v) => { v.tenant = id(9) }, `x.json: /volumes/1/tenant names unknown tenant ${id(9)}`],
    ['vm', (v) => { v.vm = id(9) }, `x.json: /volumes/1/vm names unknown vm ${id(9)}`]
  ]
  for (const [what, spoil, message] of cases) {
    const topology = base()
    spoil(topology.volumes[1]!)
    t.throws(() => parseTopology(topology, 'x.json'), { message }, what)
  }
  const other = base()
  other.volumes[1]!.namespace = NS2
  t.doesNotThrow(() => parseTopology(other), 'a namespace of another cluster is still a known namespace')
  t.throws(() => parseTopology({ ...base(), volumes: [{ ...volume(1, T[0] as string), vm: id(9) }] }), { message: `topology: /volumes/0/vm names unknown vm ${id(9)}` })
})

t.test('a volume size that is not a multiple of 4096 is an error', async (t) => {
  for (const size of [1, 4095, 4097, 6144]) {
    const topology = base()
    topology.volumes[1]!.size = size
    t.throws(() => parseTopology(topology, 'x.json'), { message: 'x.json: /volumes/1/size must be a multiple of 4096' }, `size ${size}`)
  }
  const zero = base()
  zero.volumes[1]!.size = 0
  t.equal(parseTopology(zero), zero, 'size 0 is a multiple')
})

t.test('quotas go largest first, each on the disk of its cluster with most room left (the first of equals), only for tenants with volumes there', async (t) => {
  const topology = base()
  const quota = [1500, 2000, 500, undefined, 500, 700]
  topology.tenants = T.map((uuid, i) => ({ uuid, name: `t${i}`, ...(quota[i] === undefined ? {} : { cdp_quota: quota[i] }) }))
  // Tenants 0 to 4 have volumes in cluster 1; tenant 0 also in cluster 2; tenant 5 in none.
  topology.volumes = [
    volume(1, T[2] as string), volume(2, T[0] as string), volume(3, T[1] as string), volume(4, T[3] as string), volume(5, T[4] as string),
    volume(6, T[0] as string, C2, NS2)
  ]
  // Cluster 1 has disks of 2000 (a) and 3000 (b). 2000 → b (1000 left); 1500 → a (500 left);
  // 500 (tenant 2, listed first of the equal quotas) → b (500 left); 500 (tenant 4) → a, the first of
  // two disks with 500 left, which it fills exactly.
  t.strictSame(quotaShares(topology), [
    { tenant: T[1], cluster: C1, host: H2, path: '/dev/b', size: 2000 },
    { tenant: T[0], cluster: C1, host: H1, path: '/dev/a', size: 1500 },
    { tenant: T[2], cluster: C1, host: H2, path: '/dev/b', size: 500 },
    { tenant: T[4], cluster: C1, host: H1, path: '/dev/a', size: 500 },
    { tenant: T[0], cluster: C2, host: H3, path: '/dev/c', size: 1500 }
  ])
  t.equal(parseTopology(topology), topology, 'a topology whose quotas all fit')
})

t.test('a quota that no disk can keep is a topology error naming the quota, the tenant and the cluster', async (t) => {
  const topology = base()
  topology.tenants[0]!.cdp_quota = 3000
  topology.tenants[1]!.cdp_quota = 2001
  t.throws(() => quotaShares(topology), { message: `topology: the cdp_quota 2001 of tenant ${T[1]} fits on no CDP disk of cluster ${C1} beside the other quotas` })
  t.throws(() => parseTopology(topology, 'x.json'), { message: `x.json: the cdp_quota 2001 of tenant ${T[1]} fits on no CDP disk of cluster ${C1} beside the other quotas` })
  const noDisk = base()
  noDisk.clusters[1]!.hosts = []
  noDisk.tenants[0]!.cdp_quota = 0
  noDisk.volumes.push(volume(3, T[0] as string, C2, NS2))
  t.throws(() => quotaShares(noDisk, 'x.json'), { message: `x.json: the cdp_quota 0 of tenant ${T[0]} fits on no CDP disk of cluster ${C2} beside the other quotas` }, 'a cluster with no disk keeps no quota, not even 0')
  noDisk.tenants[0]!.cdp_quota = undefined
  t.strictSame(quotaShares(noDisk), [], 'no quota, nothing to place')
})

t.test('a topology file that cannot be used names the setting, the path and the fault', async (t) => {
  const dir = tempDir(t, 'cdp-topology-')
  const file = join(dir, 'topology.json')
  writeFileSync(file, JSON.stringify({ ...base(), volumes: [{ ...volume(1, T[0] as string), size: 100 }] }))
  t.throws(() => loadTopology(file), { message: `invalid configuration: CDP_SIM_TOPOLOGY (${file}): topology: /volumes/0/size must be a multiple of 4096` })
  t.throws(() => loadTopology(file, '--topology'), { message: `invalid configuration: --topology (${file}): topology: /volumes/0/size must be a multiple of 4096` })
  writeFileSync(file, JSON.stringify(base()))
  t.strictSame(loadTopology(file), base())
})

t.test('a topology from a file is kept as it was read: again() gives a fresh copy of it, whatever the file holds since', async (t) => {
  const given = base()
  const direct = topologyOf(given)
  t.equal(direct.topology, given)
  t.equal(direct.again(), given, 'a topology given as an object is given again as it is')
  const file = join(tempDir(t, 'cdp-topology-'), 'topology.json')
  writeFileSync(file, JSON.stringify(base()))
  const kept = topologyOf({ file, setting: 'X' })
  t.strictSame(kept.topology, base())
  writeFileSync(file, '{')
  const again = kept.again()
  t.strictSame(again, base(), 'the file as it was')
  t.not(again, kept.topology, 'a copy, not the objects first read')
  t.throws(() => topologyOf({ file, setting: 'X' }), /^invalid configuration: X \(.*\): not JSON/)
})

t.test('the namespaces named, lower-cased, each once', async (t) => {
  t.strictSame(servedNamespaces(demoTopology, [DEMO.linNamespace.toUpperCase(), DEMO.linNamespace]), [DEMO.linNamespace])
  t.strictSame(servedNamespaces(demoTopology, [DEMO.namespace, DEMO.linNamespace]), [DEMO.namespace, DEMO.linNamespace])
  const upper = base()
  upper.clusters[0]!.namespaces[0]!.uuid = NS1.toUpperCase().replace('00000000', 'ABCDEF00')
  t.strictSame(servedNamespaces(upper, [NS1.replace('00000000', 'abcdef00')]), [NS1.replace('00000000', 'abcdef00')], 'a topology id in upper case is known in lower case')
  t.strictSame(servedNamespaces(demoTopology, []), [], 'none named, none served')
})

t.test('a namespace the topology does not have is an error', async (t) => {
  t.throws(() => servedNamespaces(demoTopology, [DEMO.namespace, '00000000-0000-4000-8000-000000000000']),
    { message: 'unknown namespace 00000000-0000-4000-8000-000000000000' })
  t.throws(() => servedNamespaces(demoTopology, [id(7), DEMO.namespace, id(8)]), { message: `unknown namespace ${id(7)}, ${id(8)}` })
})
