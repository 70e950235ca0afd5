// The entry point, and the only module that touches `process`: configuration from the
// environment, listening, and a graceful close on SIGTERM/SIGINT.
import { buildApp, type AppOptions } from './app.js'
import { loadConfig, type Config } from './config.js'
import { loadTokens } from './plugins/auth.js'
import { createMetrics, type Metrics } from './plugins/metrics.js'

/**
 * The backend is imported only when chosen: agent mode never loads the simulator, and so
 * never the native SQLite module.
 */
async function openBackend (config: Config, metrics: Metrics): Promise<Pick<AppOptions, 'backend' | 'simulator'>> {
  if (config.CDP_BACKEND === 'agent') {
    const { openAgentBackend } = await import('./backend/agent/open.js')
    return { backend: openAgentBackend(config, metrics.observeAgentCall) }
  }
  const { loadTopology, openSimulator } = await import('../simulator/index.js')
  const topology = namingSetting('CDP_SIM_TOPOLOGY', () => loadTopology(config.CDP_SIM_TOPOLOGY))
  const simulator = namingSetting('CDP_SIM_DB', () => openSimulator({
    db: config.CDP_SIM_DB,
    topology,
    clock: {
      mode: config.CDP_SIM_CLOCK,
      ...(config.CDP_SIM_CLOCK_START === undefined ? {} : { start: BigInt(config.CDP_SIM_CLOCK_START) })
    },
    ...(config.CDP_SIM_SNAPSHOT_INTERVAL === undefined ? {} : { snapshotIntervalSeconds: config.CDP_SIM_SNAPSHOT_INTERVAL })
  }))
  return { backend: simulator, simulator }
}

/** Runs `open`; a failure names the setting whose value it was opening. */
function namingSetting<T> (setting: string, open: () => T): T {
  try {
    return open()
  } catch (err) {
    throw new Error(`invalid configuration: ${setting}: ${(err as Error).message}`)
  }
}

async function start (config: Config): Promise<void> {
  const metrics = createMetrics()
  const tokensFile = config.CDP_AUTH_TOKENS_FILE
  const tokens = tokensFile === undefined ? undefined : namingSetting('CDP_AUTH_TOKENS_FILE', () => loadTokens(tokensFile))
  const app = await buildApp({
    ...await openBackend(config, metrics),
    metrics,
    ...(tokens === undefined ? {} : { tokens }),
    bodyLimit: config.CDP_BODY_LIMIT,
    maxVolumesPerBatch: config.CDP_MAX_VOLUMES,
    requestTimeout: config.CDP_REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.CDP_KEEP_ALIVE_TIMEOUT_MS,
    // Fastify logs no headers; the redaction keeps it so if a serializer ever does.
    logger: { level: config.LOG_LEVEL, redact: ['req.headers.authorization'] }
  })
  let closing = false
  const close = (signal: string): void => {
    if (closing) return
    closing = true
    app.log.info({ signal }, 'closing')
    app.close().then(() => { process.exitCode = 0 }, (err: unknown) => {
      app.log.error({ err }, 'close failed')
      process.exitCode = 1
    })
  }
  process.once('SIGTERM', close)
  process.once('SIGINT', close)
  await app.listen({ host: config.HOST, port: config.PORT })
}

try {
  await start(loadConfig(process.env))
} catch (err) {
  console.error((err as Error).message)
  process.exitCode = 1
}
