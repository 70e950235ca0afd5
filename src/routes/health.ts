// GET /healthz: the process is up. GET /readyz: the backend can serve (the simulator's
// database is open, every configured agent answers); 503 with what is down otherwise.
// Their answers keep no response schema (their bytes are as they were); `x-doc-response`
// documents them.
import { Type, type TSchema } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import type { CdpBackend } from '../backend/port.js'
import { succeeded } from '../envelope.js'
import { ErrorOutput, Output, StringEnum } from '../schemas/common.js'

const json = (schema: TSchema) => ({ content: { 'application/json': { schema } } })

function documented (status: 'up' | 'ready') {
  return {
    200: { description: `The envelope with data.status "${status}"`, ...json(Output(Type.Object({ status: StringEnum([status]) }))) },
    ...(status === 'ready' ? { 503: { description: 'scode 5005 BACKEND_UNAVAILABLE (or an agent scode): desc names what is down', ...json(ErrorOutput) } } : {})
  }
}

const health: FastifyPluginAsync<{ backend: CdpBackend }> = async (app, { backend }) => {
  app.get('/healthz', {
    schema: { operationId: 'healthz', tags: ['ops'], summary: 'The process is up', 'x-doc-response': documented('up') }
  }, async () => succeeded({ status: 'up' }))
  app.get('/readyz', {
    schema: { operationId: 'readyz', tags: ['ops'], summary: 'The backend can serve (simulator database open, every agent answering)', 'x-doc-response': documented('ready') }
  }, async () => {
    await backend.ready()
    return succeeded({ status: 'ready' })
  })
}

export default health
