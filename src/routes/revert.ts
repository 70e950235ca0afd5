// POST /revert — 卷cdp回滚: rolls the volume back to (snapshot_name, timestamp), journaled as
// ordinary writes so that a revert can itself be undone.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { toUint64 } from '../json.js'
import { responses } from '../schemas/common.js'
import { SnapshotName, Timestamp } from '../schemas/point.js'
import { InternalVolumeIdentifier } from '../schemas/volume.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const revert: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend }) => {
  app.post('/revert', {
    schema: {
      summary: '卷cdp回滚',
      body: Type.Object({
        ...InternalVolumeIdentifier.properties,
        snapshot_name: SnapshotName,
        timestamp: Timestamp('回滚')
      }),
      response: responses(Type.Object({}))
    }
  }, async (request) => {
    const { body } = request
    await backend.revert(toVolumeRef(body), { snapshot_name: body.snapshot_name, timestamp: toUint64(body.timestamp, 'timestamp') })
    return succeeded({})
  })
}

export default revert
