// The agent protocol's OpenAPI file: generated from protocol.ts, valid OpenAPI 3, covering
// every operation and nothing of the simulator's own, and committed as generated.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { AGENT_OPENAPI_FILE, agentOpenApiText } from '../../simulator/agent-openapi.js'
import { AGENT_PREFIX, operations } from '../../src/backend/agent/protocol.js'

t.test('the committed src/backend/agent/openapi.json is the generated one (npm run agent-openapi)', async (t) => {
  t.equal(readFileSync(AGENT_OPENAPI_FILE, 'utf8'), await agentOpenApiText())
})

t.test('the document is valid OpenAPI 3 with one POST per operation and no /sim/v1', async (t) => {
  const doc = JSON.parse(await agentOpenApiText()) as { paths: Record<string, Record<string, { operationId?: string }>> }
  const result = await new Validator().validate(doc)
  t.ok(result.valid, JSON.stringify(result.errors))
  t.strictSame(Object.keys(doc.paths).sort(), Object.values(operations).map((op) => `${AGENT_PREFIX}${op.path}`).sort())
  for (const [name, op] of Object.entries(operations)) {
    t.equal(doc.paths[`${AGENT_PREFIX}${op.path}`]?.post?.operationId, name, `POST ${op.path} is ${name}`)
  }
})
