// POST /enable — 卷cdp启用（不存在时即创建）: turns journaling on, creating CDP with the default policy where none.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { BatchBody, BatchResult } from '../schemas/batch.js'
import { responses } from '../schemas/common.js'
import { toBatchResult } from './batch.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const enable: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, maxVolumesPerBatch }) => {
  app.post('/enable', {
    schema: {
      summary: '卷cdp启用（不存在时即创建）',
      body: BatchBody(maxVolumesPerBatch),
      response: responses(BatchResult)
    }
  }, async (request) => {
    return succeeded(toBatchResult(await backend.enable(request.body.volumes.map(toVolumeRef))))
  })
}

export default enable
