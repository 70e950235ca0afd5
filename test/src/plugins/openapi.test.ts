// The OpenAPI document served at /docs/json is generated from the route schemas and is
// valid OpenAPI 3 by a real validator.
import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { openTestApp } from '../../helpers/app.js'

t.test('/docs/json is a valid OpenAPI 3 document covering every endpoint', async (t) => {
  const { app } = await openTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/docs/json' })
  t.equal(res.statusCode, 200)
  const doc = JSON.parse(res.body) as { openapi: string, paths: Record<string, Record<string, unknown>> }
  const result = await new Validator().validate(doc)
  t.ok(result.valid, JSON.stringify(result.errors))
  t.match(doc.openapi, /^3\./)
  for (const op of ['edit', 'enable', 'disable', 'clean', 'view', 'revert']) t.ok(doc.paths[`/v1/volume/internal/cdp/${op}`]?.post, `POST ${op}`)
  for (const op of ['list', 'info']) t.ok(doc.paths[`/v1/volume/internal/cdp/${op}`]?.get, `GET ${op}`)
  t.ok(doc.paths['/sim/v1/volumes/{volume_uuid}/writes']?.post, 'the control API too')
  t.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode, 200, 'the UI is served')
})
