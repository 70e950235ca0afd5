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
      operationId: 'cdpRevert',
      tags: ['cdp'],
      summary: 'Roll a volume back to a point in time (a base snapshot and an exact ns time)',
      description: '卷cdp回滚。Journaled as ordinary writes, so a revert can itself be undone by reverting to a point before it; refused while a running VM uses the volume or a view is on.',
      'x-scodes': ['INVALID_UINT64', 'VOLUME_NOT_FOUND', 'CDP_NOT_FOUND', 'SNAPSHOT_NOT_FOUND', 'POINT_NOT_RECOVERABLE', 'SNAPSHOT_NOT_BASE', 'SEGMENT_OFFLINE', 'VOLUME_IN_USE', 'VIEW_IS_ON'],
      body: Type.Object({
        ...InternalVolumeIdentifier.properties,
        snapshot_name: SnapshotName,
        timestamp: Timestamp('回滚')
      }, { title: 'CdpRevertRequest' }),
      response: responses(Type.Object({}), 'EmptyOutput')
    }
  }, async (request) => {
    const { body } = request
    await backend.revert(toVolumeRef(body), { snapshot_name: body.snapshot_name, timestamp: toUint64(body.timestamp, 'timestamp') })
    return succeeded({})
  })
}

export default revert
