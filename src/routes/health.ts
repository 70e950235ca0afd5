// GET /healthz: the process is up. GET /readyz: the backend can serve (the simulator's
// database is open, every configured agent answers); 503 with what is down otherwise.
import type { FastifyPluginAsync } from 'fastify'
import type { CdpBackend } from '../backend/port.js'
import { succeeded } from '../envelope.js'

const health: FastifyPluginAsync<{ backend: CdpBackend }> = async (app, { backend }) => {
  app.get('/healthz', { schema: { hide: true } }, async () => succeeded({ status: 'up' }))
  app.get('/readyz', { schema: { hide: true } }, async () => {
    await backend.ready()
    return succeeded({ status: 'ready' })
  })
}

export default health
