// GET /info — 卷cdp信息: a volume's journal segments with their snapshots, and its view host.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { CdpSegmentInfo } from '../backend/port.js'
import { succeeded } from '../envelope.js'
import { responses } from '../schemas/common.js'
import { InfoData } from '../schemas/info.js'
import { InternalVolumeIdentifier } from '../schemas/volume.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

/** A segment that answered carries an empty status, as every segment in the spec does. */
const SEGMENT_OK = { code: 0, message: '', messageCn: '', stack: null, desc: '', UUID: '' }

function toCdpInfoResponse (segment: CdpSegmentInfo) {
  return { status: SEGMENT_OK, ...segment }
}

const info: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend }) => {
  app.get('/info', {
    schema: {
      summary: '卷cdp信息',
      querystring: InternalVolumeIdentifier,
      response: responses(InfoData)
    }
  }, async (request) => {
    const { cdp_info: segments, host_uuid: hostUuid } = await backend.info(toVolumeRef(request.query))
    return succeeded({ cdp_info: segments.map(toCdpInfoResponse), host_uuid: hostUuid })
  })
}

export default info
