// `cdp-sim agent`: the simulator as a stand-alone node agent, speaking the agent protocol
// v1 with the control API (/sim/v1) on the same port, until SIGTERM/SIGINT.
import { buildAgentServer } from '../agent-server.js'
import { defineCommand } from './command.js'
import { openServing, serveUntilStopped, servingOptions } from './serving.js'

export const agent = defineCommand({
  name: 'agent',
  summary: 'Serve the node agent protocol v1 over a simulated storage cluster, with the simulator control API (/sim/v1) on the same port',
  description: [
    'Prints "cdp-sim agent listening on http://HOST:PORT" once it answers; SIGTERM or SIGINT',
    'closes the server and the database and exits 0. Two agents can serve parts of one cluster',
    'with --namespace; the API routes each namespace to its agent.'
  ].join('\n'),
  options: {
    ...servingOptions({ port: '9100', clock: 'real', logLevel: 'warn' }),
    namespace: { type: 'string', multiple: true, value: 'UUID', description: 'serve only this namespace of the topology and its volumes; default: all of them' }
  },
  run: async (values, _positionals, io) => {
    const serving = openServing(values, values.namespace)
    const { simulator, faults } = serving.harness
    return await serveUntilStopped(serving, async () => await buildAgentServer({ simulator, faults, logger: { level: serving.level } }), io.stop,
      (url) => { io.out(`cdp-sim agent listening on ${url}`) })
  }
})
