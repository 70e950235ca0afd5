// POST /clean — 卷cdp删除: without usd_seq deletes the volume's whole CDP; with it (0 is a
// valid seq) deletes that one journal segment. Absent and 0 are told apart.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { toUint64 } from '../json.js'
import { Uint64Input, responses } from '../schemas/common.js'
import { InternalVolumeIdentifier } from '../schemas/volume.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

export const CleanBody = Type.Object({
  ...InternalVolumeIdentifier.properties,
  usd_seq: Type.Optional(Uint64Input('需要删除的io快照序号（不传则删除卷cdp，传则删除卷cdp的某一条io日志信息；0是合法序号）'))
}, { title: 'CdpCleanRequest' })

const clean: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend }) => {
  app.post('/clean', {
    schema: {
      operationId: 'cdpClean',
      tags: ['cdp'],
      summary: 'Delete a volume\'s CDP, or one journal segment of it',
      description: '卷cdp删除。usd_seq absent: deletes the whole CDP (journal, snapshots, policy); present (0 is a valid seq): deletes that one journal segment.',
      'x-scodes': ['INVALID_UINT64', 'VOLUME_NOT_FOUND', 'CDP_NOT_FOUND', 'SEGMENT_NOT_FOUND', 'CDP_IS_ON', 'SEGMENT_ACTIVE', 'VIEW_IS_ON'],
      body: CleanBody,
      response: responses(Type.Object({}), 'EmptyOutput')
    }
  }, async (request) => {
    const { body } = request
    const volume = toVolumeRef(body)
    if (body.usd_seq === undefined) await backend.clean(volume)
    else await backend.clean(volume, toUint64(body.usd_seq, 'usd_seq'))
    return succeeded({})
  })
}

export default clean
