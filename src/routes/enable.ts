// POST /enable — 卷cdp启用（不存在时即创建）: turns journaling on, creating CDP with the default policy where none.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { BatchBody, CdpBatchResult } from '../schemas/batch.js'
import { responses } from '../schemas/common.js'
import { toBatchResult } from './batch.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const enable: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, maxVolumesPerBatch }) => {
  app.post('/enable', {
    schema: {
      operationId: 'cdpEnable',
      tags: ['cdp'],
      summary: 'Turn journaling on for each volume, creating CDP with the default policy where it has none',
      description: '卷cdp启用（不存在时即创建）。Each volume gets its own envelope in results; one volume\'s failure never stops the others.',
      'x-scodes': ['TOO_MANY_VOLUMES'],
      'x-result-scodes': ['CLUSTER_NOT_FOUND', 'VOLUME_NOT_FOUND', 'INSUFFICIENT_CDP_CAPACITY', 'TENANT_QUOTA_EXCEEDED'],
      body: BatchBody(maxVolumesPerBatch),
      response: responses(CdpBatchResult, 'CdpBatchOutput')
    }
  }, async (request) => {
    return succeeded(toBatchResult(await backend.enable(request.body.volumes.map(toVolumeRef))))
  })
}

export default enable
