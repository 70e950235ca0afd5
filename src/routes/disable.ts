// POST /disable — 卷cdp停用: turns journaling off; history stays until clean.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { BatchBody, BatchResult } from '../schemas/batch.js'
import { responses } from '../schemas/common.js'
import { toBatchResult } from './batch.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const disable: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, maxVolumesPerBatch }) => {
  app.post('/disable', {
    schema: {
      summary: '卷cdp停用',
      body: BatchBody(maxVolumesPerBatch),
      response: responses(BatchResult)
    }
  }, async (request) => {
    return succeeded(toBatchResult(await backend.disable(request.body.volumes.map(toVolumeRef))))
  })
}

export default disable
