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

const clean: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend }) => {
  app.post('/clean', {
    schema: {
      summary: '卷cdp删除',
      body: Type.Object({
        ...InternalVolumeIdentifier.properties,
        usd_seq: Type.Optional(Uint64Input('需要删除的io快照序号（不传则删除卷cdp，传则删除卷cdp的某一条io日志信息）'))
      }),
      response: responses(Type.Object({}))
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
