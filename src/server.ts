// The entry point, and the only module that touches `process`: configuration from the
// environment, listening, and a graceful close on SIGTERM/SIGINT.
import { buildApp, type AppOptions } from './app.js'
import { loadConfig, type Config } from './config.js'

/**
 * The backend is imported only when chosen: agent mode never loads the simulator, and so
 * never the native SQLite module.
 */
async function openBackend (config: Config): Promise<Pick<AppOptions, 'backend' | 'simulator'>> {
  if (config.CDP_BACKEND === 'agent') {
    const { openAgentBackend } = await import('./backend/agent/open.js')
    return { backend: openAgentBackend(config) }
  }
  const { loadTopology, openSimulator } = await import('../simulator/index.js')
  const simulator = openSimulator({
    db: config.CDP_SIM_DB,
    topology: loadTopology(config.CDP_SIM_TOPOLOGY),
    clock: {
      mode: config.CDP_SIM_CLOCK,
      ...(config.CDP_SIM_CLOCK_START === undefined ? {} : { start: BigInt(config.CDP_SIM_CLOCK_START) })
    },
    ...(config.CDP_SIM_SNAPSHOT_INTERVAL === undefined ? {} : { snapshotIntervalSeconds: config.CDP_SIM_SNAPSHOT_INTERVAL })
  })
  return { backend: simulator, simulator }
}

async function start (config: Config): Promise<void> {
  const app = await buildApp({ ...await openBackend(config), logger: { level: config.LOG_LEVEL } })
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
