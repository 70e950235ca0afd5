// POST /edit — cdp编辑（不存在时即创建）: sets the policy, creating CDP (off) where none.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { CDP_PRIORITIES } from '../backend/port.js'
import { succeeded } from '../envelope.js'
import { toUint64 } from '../json.js'
import { BatchClusterUuid, BatchResult, BatchVolumes } from '../schemas/batch.js'
import { StringEnum, Uint64Input, responses } from '../schemas/common.js'
import { toBatchResult } from './batch.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const edit: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, maxVolumesPerBatch }) => {
  app.post('/edit', {
    schema: {
      summary: 'cdp编辑（不存在时即创建）',
      body: Type.Object({
        cdp_priority: StringEnum(CDP_PRIORITIES, '恢复优先级'),
        reserve_capacity: Uint64Input('占用CDP盘最大空间'),
        reserve_duration: Uint64Input('可恢复最近时长'),
        volumes: BatchVolumes(maxVolumesPerBatch),
        cluster_uuid: BatchClusterUuid
      }),
      response: responses(BatchResult)
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
