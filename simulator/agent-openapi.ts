// The agent protocol's OpenAPI document, generated from protocol.ts through the agent
// server's routes and committed as src/backend/agent/openapi.json for the storage team.
// `npm run agent-openapi` rewrites the file; a test fails when it is out of date.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { buildAgentServer } from './agent-server.js'
import { openSimulator } from './index.js'

export const AGENT_OPENAPI_FILE = fileURLToPath(new URL('../src/backend/agent/openapi.json', import.meta.url))

/** The document as the committed file holds it: two-space JSON and a final newline. */
export async function agentOpenApiText (): Promise<string> {
  // The routes need a simulator to exist, not to answer: an empty cluster in memory will do.
  const simulator = openSimulator({ db: ':memory:', topology: { clusters: [], tenants: [], vms: [], volumes: [] }, clock: { mode: 'manual' } })
  const app = await buildAgentServer({ simulator })
  try {
    await app.ready()
    return `${JSON.stringify(app.swagger(), null, 2)}\n`
  } finally {
    await app.close()
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(AGENT_OPENAPI_FILE, await agentOpenApiText())
  console.log(`wrote ${AGENT_OPENAPI_FILE}`)
}
