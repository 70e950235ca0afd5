// restrictTopology: the part of a cluster one agent serves.
import t from 'tap'
import { parseTopology, restrictTopology } from '../../simulator/index.js'
import { CLUSTER, KEN_NAMESPACE, LIN_NAMESPACE, LIN_VM_VOLUME, demoTopology } from '../helpers/simulator.js'

t.test('keeps only the namespaces named and the volumes in them', async (t) => {
  const lin = restrictTopology(demoTopology, [LIN_NAMESPACE.toUpperCase()])
  t.strictSame(lin.clusters.map((c) => [c.uuid, c.namespaces.map((n) => n.uuid)]), [[CLUSTER, [LIN_NAMESPACE]]])
  t.ok(lin.volumes.length > 0 && lin.volumes.every((v) => v.namespace === LIN_NAMESPACE), 'only lin\'s volumes')
  t.ok(lin.volumes.some((v) => v.uuid === LIN_VM_VOLUME))
  t.strictSame(lin.clusters[0]?.hosts, demoTopology.clusters[0]?.hosts, 'the cluster keeps its hosts')
  t.strictSame(parseTopology(lin), lin, 'the result is a valid topology')
  t.strictSame(restrictTopology(demoTopology, [KEN_NAMESPACE, LIN_NAMESPACE]), demoTopology, 'naming all keeps all')
})

t.test('a namespace the topology does not have is an error', async (t) => {
  t.throws(() => restrictTopology(demoTopology, [KEN_NAMESPACE, '00000000-0000-4000-8000-000000000000']),
    { message: 'unknown namespace 00000000-0000-4000-8000-000000000000' })
})
