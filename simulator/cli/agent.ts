// `cdp-sim agent`: the simulator as a stand-alone node agent, speaking the agent protocol
// v1 with the control API (/sim/v1) on the same port, until SIGTERM/SIGINT.
import type { AddressInfo } from 'node:net'
import { buildAgentServer } from '../agent-server.js'
import { DEFAULTS, loadTopology, openSimulator, restrictTopology } from '../index.js'
import { serveVolumeExports } from '../nbd/volume-exports.js'
import { choiceOption, defineCommand, integerOption, uint64Option, UsageError } from './command.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

function untilAborted (signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve()
    else signal.addEventListener('abort', () => { resolve() }, { once: true })
  })
}

export const agent = defineCommand({
  name: 'agent',
  summary: 'Serve the node agent protocol v1 over a simulated storage cluster, with the simulator control API (/sim/v1) on the same port',
  description: [
    'Prints "cdp-sim agent listening on http://HOST:PORT" once it answers; SIGTERM or SIGINT',
    'closes the server and the database and exits 0. Two agents can serve parts of one cluster',
    'with --namespace; the API routes each namespace to its agent.'
  ].join('\n'),
  options: {
    host: { type: 'string', value: 'ADDR', default: '127.0.0.1', description: 'address to listen on' },
    port: { type: 'string', value: 'N', default: '9100', description: 'port to listen on, 0 for any free port' },
    topology: { type: 'string', value: 'FILE', default: 'fixtures/demo-topology.json', description: 'the cluster to model (JSON); a --db that already has state keeps its own' },
    db: { type: 'string', value: 'PATH', default: ':memory:', description: 'SQLite file that keeps the state across restarts, or :memory:' },
    clock: { type: 'string', value: 'real|manual', default: 'real', description: 'real: the wall clock; manual: moves only by POST /sim/v1/clock/advance' },
    'clock-start': { type: 'string', value: 'NS', description: `where a manual clock starts, ns since the epoch (default: ${DEFAULTS.manualClockStart}, the spec's example time); manual clock only` },
    'snapshot-interval': { type: 'string', value: 'S', default: String(DEFAULTS.snapshotIntervalSeconds), description: 'seconds between auto snapshots while CDP is on' },
    'nbd-port': { type: 'string', value: 'N', description: 'also serve volumes and views over NBD on 127.0.0.1:N (0: any free port); off unless given' },
    namespace: { type: 'string', multiple: true, value: 'UUID', description: 'serve only this namespace of the topology and its volumes; default: all of them' },
    'log-level': { type: 'string', value: 'LEVEL', default: 'warn', description: `request log on stdout (pino JSON): ${LOG_LEVELS.join(', ')}` }
  },
  run: async (values, _positionals, io) => {
    const port = integerOption(values.port, 'port', 0, 65535)
    const clock = choiceOption(values.clock, 'clock', ['real', 'manual'])
    const clockStart = values['clock-start'] === undefined ? undefined : uint64Option(values['clock-start'], 'clock-start')
    if (clockStart !== undefined && clock !== 'manual') throw new UsageError('--clock-start needs --clock manual')
    const snapshotIntervalSeconds = integerOption(values['snapshot-interval'], 'snapshot-interval', 1)
    const level = choiceOption(values['log-level'], 'log-level', LOG_LEVELS)
    if (values.host === '') throw new UsageError('--host must not be empty')
    const nbdPort = values['nbd-port'] === undefined ? undefined : integerOption(values['nbd-port'], 'nbd-port', 0, 65535)

    const topology = loadTopology(values.topology, '--topology')
    const simulator = openSimulator({
      db: values.db,
      topology: values.namespace.length === 0 ? topology : restrictTopology(topology, values.namespace),
      clock: { mode: clock, ...(clockStart === undefined ? {} : { start: clockStart }) },
      snapshotIntervalSeconds
    })
    const nbd = nbdPort === undefined
      ? undefined
      : await serveVolumeExports(simulator, { port: nbdPort, secretNames: false })
    const app = await buildAgentServer({ simulator, logger: { level }, ...(nbd === undefined ? {} : { nbd }) }).catch(async (err: unknown) => {
      await nbd?.server.close()
      await simulator.close()
      throw err
    })
    if (nbd !== undefined) app.addHook('preClose', async () => { await nbd.server.close() })
    try {
      await app.listen({ host: values.host, port })
    } catch (err) {
      await app.close()
      throw err
    }
    const address = app.server.address() as AddressInfo
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    io.out(`cdp-sim agent listening on http://${host}:${address.port}`)
    if (nbd !== undefined) io.out(`cdp-sim agent NBD exports at nbd://127.0.0.1:${nbd.server.port}`)
    await untilAborted(io.stop)
    await app.close()
    return 0
  }
})
