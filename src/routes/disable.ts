// POST /disable — 卷cdp停用: turns journaling off; history stays until clean.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { BatchBody, CdpBatchResult } from '../schemas/batch.js'
import { responses } from '../schemas/common.js'
import { toBatchResult } from './batch.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const disable: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, maxVolumesPerBatch }) => {
  app.post('/disable', {
    schema: {
      operationId: 'cdpDisable',
      tags: ['cdp'],
      summary: 'Turn journaling off for each volume (history stays until clean)',
      description: '卷cdp停用。Each volume gets its own envelope in results; one volume\'s failure never stops the others.',
      'x-scodes': ['TOO_MANY_VOLUMES'],
      'x-result-scodes': ['CLUSTER_NOT_FOUND', 'VOLUME_NOT_FOUND', 'CDP_NOT_FOUND'],
      body: BatchBody(maxVolumesPerBatch),
      response: responses(CdpBatchResult, 'CdpBatchOutput')
    }
  }, async (request) => {
    return succeeded(toBatchResult(await backend.disable(request.body.volumes.map(toVolumeRef))))
  })
}

export default disable
