// `cdp-sim agent`: the simulator as a stand-alone node agent, speaking the agent protocol
// v1 with the control API (/sim/v1) on the same port, until SIGTERM/SIGINT.
import { buildAgentServer } from '../agent-server.js'
import { serveVolumeExports } from '../nbd/volume-exports.js'
import { defineCommand, integerOption } from './command.js'
import { openServing, serveUntilStopped, servingOptions } from './serving.js'

export const agent = defineCommand({
  name: 'agent',
  summary: 'Serve the node agent protocol v1 over a simulated storage cluster, with the simulator control API (/sim/v1) on the same port',
  description: [
    'Prints "cdp-sim agent listening on http://HOST:PORT" once it answers; SIGTERM or SIGINT',
    'closes the server and the database and exits 0. Two agents can serve parts of one cluster',
    'with --namespace; the API routes each namespace to its agent. The simulator runs in a worker',
    'thread, so a heavy call holds up only that thread; if the thread dies, it exits 1 with the',
    'reason on stderr.'
  ].join('\n'),
  options: {
    ...servingOptions({ port: '9100', clock: 'real', logLevel: 'warn' }),
    'nbd-port': { type: 'string', value: 'N', description: 'also serve volumes and views over NBD on 127.0.0.1:N (0: any free port); off unless given' },
    namespace: { type: 'string', multiple: true, value: 'UUID', description: 'serve only this namespace of the topology and its volumes; default: all of them' }
  },
  run: async (values, _positionals, io) => {
    const nbdPort = values['nbd-port'] === undefined ? undefined : integerOption(values['nbd-port'], 'nbd-port', 0, 65535)
    const serving = await openServing(values, values.namespace)
    const { simulator, faults } = serving.harness
    const nbd = nbdPort === undefined ? undefined : await serveVolumeExports(simulator, { port: nbdPort, secretNames: false })
    const build = async () => {
      const app = await buildAgentServer({ simulator, faults, logger: { level: serving.level }, ...(nbd === undefined ? {} : { nbd }) })
      if (nbd !== undefined) app.addHook('preClose', async () => { await nbd.server.close() })
      return app
    }
    return await serveUntilStopped(serving, build, io, (url) => {
      io.out(`cdp-sim agent listening on ${url}`)
      if (nbd !== undefined) io.out(`cdp-sim agent NBD exports at nbd://127.0.0.1:${nbd.server.port}`)
    })
  }
})
