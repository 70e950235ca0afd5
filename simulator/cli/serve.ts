// `cdp-sim serve`: the CDP API on a simulator, as `npm start` runs it but without a build
// step, for test suites in any language: it prints one line, its base URL, and serves until
// SIGTERM/SIGINT.
import { buildSimulatorApp } from '../index.js'
import { defineCommand } from './command.js'
import { openServing, serveUntilStopped, servingOptions } from './serving.js'

export const serve = defineCommand({
  name: 'serve',
  summary: 'Serve the CDP API and the whole control API (/sim/v1) on a simulator; print its base URL',
  description: [
    'Prints exactly one line, the base URL (http://HOST:PORT), once it answers: with --port 0',
    'a test reads the line and uses the URL. The clock is manual by default, so a test moves',
    'it. SIGTERM or SIGINT closes the server and the database and exits 0; if the simulator\'s',
    'worker thread dies, it exits 1 with the reason on stderr.'
  ].join('\n'),
  options: servingOptions({ port: '8080', clock: 'manual', logLevel: 'silent' }),
  run: async (values, _positionals, io) => {
    const serving = await openServing(values)
    return await serveUntilStopped(serving, async () => await buildSimulatorApp(serving.harness, { logger: { level: serving.level } }), io, io.out)
  }
})
