// The entry point, and the only module that touches `process`: configuration from the
// environment, listening, and a graceful close on SIGTERM/SIGINT.
import { buildApp } from './app.js'
import { loadConfig, type Config } from './config.js'
import { loadTopology, openSimulator } from '../simulator/index.js'

async function start (config: Config): Promise<void> {
  const simulator = openSimulator({
    db: config.CDP_SIM_DB,
    topology: loadTopology(config.CDP_SIM_TOPOLOGY),
    clock: {
      mode: config.CDP_SIM_CLOCK,
      ...(config.CDP_SIM_CLOCK_START === undefined ? {} : { start: BigInt(config.CDP_SIM_CLOCK_START) })
    },
    ...(config.CDP_SIM_SNAPSHOT_INTERVAL === undefined ? {} : { snapshotIntervalSeconds: config.CDP_SIM_SNAPSHOT_INTERVAL })
  })
  const app = await buildApp({ backend: simulator, simulator, logger: { level: config.LOG_LEVEL } })
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
