// GET /info — 卷cdp信息: a volume's journal segments with their snapshots, and its view host.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import type { CdpInfo, CdpSegmentInfo } from '../backend/port.js'
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
  // The body sent for each answer: a backend that gives the same answer object again (the
  // simulator's info cache does while nothing changed) gets the same bytes without serialising.
  const bodies = new WeakMap<CdpInfo, Buffer>()
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
  }, async (request, reply) => {
    const answer = await backend.info(toVolumeRef(request.query))
    let body = bodies.get(answer)
    if (body === undefined) {
      body = Buffer.from(reply.serialize(succeeded({ cdp_info: answer.cdp_info.map(toCdpInfoResponse), host_uuid: answer.host_uuid })) as string)
      bodies.set(answer, body)
    }
    // Already the response schema's bytes: they go out as they are.
    return await (reply as FastifyReply).type('application/json; charset=utf-8').send(body)
  })
}

export default info
