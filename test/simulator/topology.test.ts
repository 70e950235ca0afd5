// servedNamespaces: the slice of a topology one agent serves.
import t from 'tap'
import { servedNamespaces } from '../../simulator/index.js'
import { DEMO, demoTopology } from '../helpers/demo.js'

t.test('the namespaces named, lower-cased, each once', async (t) => {
  t.strictSame(servedNamespaces(demoTopology, [DEMO.linNamespace.toUpperCase(), DEMO.linNamespace]), [DEMO.linNamespace])
  t.strictSame(servedNamespaces(demoTopology, [DEMO.namespace, DEMO.linNamespace]), [DEMO.namespace, DEMO.linNamespace])
})

t.test('a namespace the topology does not have is an error', async (t) => {
  t.throws(() => servedNamespaces(demoTopology, [DEMO.namespace, '00000000-0000-4000-8000-000000000000']),
    { message: 'unknown namespace 00000000-0000-4000-8000-000000000000' })
})
