// servedNamespaces: the slice of a topology one agent serves.
import t from 'tap'
import { servedNamespaces } from '../../simulator/index.js'
import { KEN_NAMESPACE, LIN_NAMESPACE, demoTopology } from '../helpers/simulator.js'

t.test('the namespaces named, lower-cased, each once', async (t) => {
  t.strictSame(servedNamespaces(demoTopology, [LIN_NAMESPACE.toUpperCase(), LIN_NAMESPACE]), [LIN_NAMESPACE])
  t.strictSame(servedNamespaces(demoTopology, [KEN_NAMESPACE, LIN_NAMESPACE]), [KEN_NAMESPACE, LIN_NAMESPACE])
})

t.test('a namespace the topology does not have is an error', async (t) => {
  t.throws(() => servedNamespaces(demoTopology, [KEN_NAMESPACE, '00000000-0000-4000-8000-000000000000']),
    { message: 'unknown namespace 00000000-0000-4000-8000-000000000000' })
})
