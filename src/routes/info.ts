// GET /info — 卷cdp信息: a volume's journal segments with their snapshots, and its view host.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { CdpSegmentInfo } from '../backend/port.js'
import { succeeded } from '../envelope.js'
import { responses } from '../schemas/common.js'
import { CdpInfoData } from '../schemas/info.js'
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
      operationId: 'cdpInfo',
      tags: ['cdp'],
      summary: 'A volume\'s journal segments with their snapshots, and the host its view is on',
      description: '卷cdp信息。Times are ns: a snapshot name and a time between a segment\'s ioStartTime and ioLastTime select a point for view and revert.',
      'x-scodes': ['VOLUME_NOT_FOUND', 'CDP_NOT_FOUND'],
      querystring: InternalVolumeIdentifier,
      response: responses(CdpInfoData, 'CdpInfoOutput')
    }
  }, async (request) => {
    const { cdp_info: segments, host_uuid: hostUuid } = await backend.info(toVolumeRef(request.query))
    return succeeded({ cdp_info: segments.map(toCdpInfoResponse), host_uuid: hostUuid })
  })
}

export default info
