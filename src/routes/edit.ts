// POST /edit — cdp编辑（不存在时即创建）: sets the policy, creating CDP (off) where none.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { toUint64 } from '../json.js'
import { CdpBatchResult, EditBody } from '../schemas/batch.js'
import { responses } from '../schemas/common.js'
import { toBatchResult } from './batch.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const edit: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, maxVolumesPerBatch }) => {
  app.post('/edit', {
    schema: {
      operationId: 'cdpEdit',
      tags: ['cdp'],
      summary: 'Set the CDP policy of each volume, creating CDP (state off) where it has none',
      description: 'cdp编辑（不存在时即创建）。Each volume gets its own envelope in results; one volume\'s failure never stops the others.',
      'x-scodes': ['INVALID_UINT64', 'TOO_MANY_VOLUMES'],
      'x-result-scodes': ['CLUSTER_NOT_FOUND', 'VOLUME_NOT_FOUND', 'INSUFFICIENT_CDP_CAPACITY', 'TENANT_QUOTA_EXCEEDED'],
      body: EditBody(maxVolumesPerBatch),
      response: responses(CdpBatchResult, 'CdpBatchOutput')
    }
  }, async (request) => {
    const { body } = request
    const policy = {
      cdp_priority: body.cdp_priority,
      reserve_capacity: toUint64(body.reserve_capacity, 'reserve_capacity'),
      reserve_duration: toUint64(body.reserve_duration, 'reserve_duration')
    }
    return succeeded(toBatchResult(await backend.edit(policy, body.volumes.map(toVolumeRef))))
  })
}

export default edit
