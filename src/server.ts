// The entry point, and the only module that touches `process`: configuration from the
// environment, listening, and a graceful close on SIGTERM/SIGINT.
import { buildApp, type AppOptions } from './app.js'
import type { AgentLog } from './backend/agent/client.js'
import { loadConfig, type Config } from './config.js'
import { fromSettingFile } from './json-file.js'
import { loadTokens } from './plugins/auth.js'
import { createMetrics, type Metrics } from './plugins/metrics.js'

/**
 * The backend is imported only when chosen: agent mode never loads the simulator, and so
 * never the native SQLite module.
 */
async function openBackend (config: Config, metrics: Metrics, log: AgentLog, secretNbdNames: boolean): Promise<Pick<AppOptions, 'backend' | 'controlApi' | 'registerGauges'> & { nbdServer?: { port: number, close: () => Promise<void> }, stopped?: Promise<Error> }> {
  if (config.CDP_BACKEND === 'agent') {
    const { openAgentBackend } = await import('./backend/agent/open.js')
    return { backend: openAgentBackend(config, metrics.observeAgentCall, log) }
  }
  const { harnessAppOptions, openWorkerHarness } = await import('../simulator/index.js')
  // The simulator's SQLite work runs in a worker thread: a long call never holds up /healthz.
  // The worker reads the topology file itself: the main thread needs none of it, and a
  // topology parsed here would leave its heap grown by the whole file.
  const harness = await fromSettingFile('CDP_SIM_DB', config.CDP_SIM_DB, async (db) => await openWorkerHarness({
    db,
    topology: { file: config.CDP_SIM_TOPOLOGY, setting: 'CDP_SIM_TOPOLOGY' },
    clock: {
      mode: config.CDP_SIM_CLOCK,
      ...(config.CDP_SIM_CLOCK_START === undefined ? {} : { start: BigInt(config.CDP_SIM_CLOCK_START) })
    },
    ...(config.CDP_SIM_SNAPSHOT_INTERVAL === undefined ? {} : { snapshotIntervalSeconds: config.CDP_SIM_SNAPSHOT_INTERVAL })
  }))
  // Fault rules in front of the simulator; the control API with the harness calls (reset, state, faults).
  const { stopped } = harness.simulator
  if (config.CDP_SIM_NBD_PORT === 'off') return { ...harnessAppOptions(harness), stopped }
  const { serveVolumeExports } = await import('../simulator/nbd/volume-exports.js')
  const nbd = await serveVolumeExports(harness.simulator, { port: Number(config.CDP_SIM_NBD_PORT), secretNames: secretNbdNames })
    .catch((err: unknown) => { throw new Error(`CDP_SIM_NBD_PORT ${config.CDP_SIM_NBD_PORT}: ${(err as Error).message} (another NBD server there? set CDP_SIM_NBD_PORT=0 or off)`) })
  return { ...harnessAppOptions(harness, nbd), nbdServer: nbd.server, stopped }
}

/** What the start-up line says this process runs: enough to tell two deployments apart in a log. */
function runningWith (config: Config, tokens: unknown[] | undefined): Record<string, string> {
  const agent = config.CDP_BACKEND === 'agent'
  let auth = 'open (loopback only)'
  if (tokens !== undefined) auth = `bearer tokens (${tokens.length} from ${config.CDP_AUTH_TOKENS_FILE ?? ''})`
  else if (config.CDP_AUTH === 'off') auth = 'off'
  return {
    backend: config.CDP_BACKEND,
    topology: agent ? `agent routing ${config.CDP_AGENTS ?? ''}` : config.CDP_SIM_TOPOLOGY,
    database: agent ? 'none (the agents keep the state)' : config.CDP_SIM_DB,
    clock: agent ? "the agents'" : `${config.CDP_SIM_CLOCK}${config.CDP_SIM_CLOCK_START === undefined ? '' : ` from ${config.CDP_SIM_CLOCK_START} ns`}`,
    auth,
    cors: config.CDP_CORS_ORIGINS ?? 'off'
  }
}

async function start (config: Config): Promise<void> {
  const metrics = createMetrics()
  const tokens = config.CDP_AUTH_TOKENS_FILE === undefined ? undefined : loadTokens(config.CDP_AUTH_TOKENS_FILE)
  // Agents' internal failure details go to the app's log (called only once the app serves).
  const agentLog: AgentLog = { error: (details, message) => { app.log.error(details, message) } }
  const { nbdServer, stopped, ...backend } = await openBackend(config, metrics, agentLog, tokens !== undefined)
  const app = await buildApp({
    ...backend,
    metrics,
    ...(tokens === undefined ? {} : { tokens }),
    ...(config.CDP_CORS_ORIGINS === undefined ? {} : { corsOrigins: config.CDP_CORS_ORIGINS.split(',') }),
    bodyLimit: config.CDP_BODY_LIMIT,
    maxVolumesPerBatch: config.CDP_MAX_VOLUMES,
    windowWarningFraction: config.CDP_WINDOW_WARNING_FRACTION,
    requestTimeout: config.CDP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.CDP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.CDP_MAX_CONNECTIONS,
    // Fastify logs no headers; the redaction keeps it so if a serializer ever does.
    logger: { level: config.LOG_LEVEL, redact: ['req.headers.authorization'] }
  })
  // The exports close before the simulator's database does (at onClose).
  if (nbdServer !== undefined) app.addHook('preClose', async () => { await nbdServer.close() })
  let closing = false
  const close = (signal: string, exitCode = 0): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'closing')
    app.close().then(() => { process.exitCode = exitCode }, (err: unknown) => {
      app.log.error({ err }, 'close failed')
      process.exitCode = 1
    })
  }
  process.once('SIGTERM', () => { close('SIGTERM') })
  process.once('SIGINT', () => { close('SIGINT') })
  // A simulator that died cannot come back in this process: exit non-zero for a supervisor to restart it.
  void stopped?.then((err) => {
    app.log.fatal({ err }, 'the simulator worker thread stopped; exiting')
    close('simulator stopped', 1)
  })
  await app.listen({ host: config.HOST, port: config.PORT })
  app.log.info(runningWith(config, tokens), 'volume-cdp serving')
  if (nbdServer !== undefined) app.log.info(`NBD exports at nbd://127.0.0.1:${nbdServer.port}`)
}

try {
  await start(loadConfig(process.env))
} catch (err) {
  console.error((err as Error).message)
  process.exitCode = 1
}
