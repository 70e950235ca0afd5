// GET /events — extension: what happened to a volume's CDP, oldest first, paged.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { toUint64 } from '../json.js'
import { responses } from '../schemas/common.js'
import { CdpEventsData, CdpEventsQuery, EVENT_KINDS, EVENTS_KEPT_PER_VOLUME } from '../schemas/events.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const events: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend }) => {
  app.get('/events', {
    schema: {
      operationId: 'cdpEvents',
      tags: ['extensions'],
      summary: 'What happened to a volume\'s CDP, oldest first',
      description: `卷cdp事件。Kinds: ${EVENT_KINDS.join(', ')}. Events outlive a clean; a volume keeps its newest ${EVENTS_KEPT_PER_VOLUME}. since (ns) keeps those after it; page_num is 0-based, page_size 0 returns every match.`,
      'x-scodes': ['VOLUME_NOT_FOUND', 'AGENT_OPERATION_UNSUPPORTED'],
      querystring: CdpEventsQuery,
      response: responses(CdpEventsData, 'CdpEventsOutput')
    }
  }, async (request) => {
    const { since, page_num: pageNum = 0, page_size: pageSize = 0, ...volume } = request.query
    const query = { page_num: pageNum, page_size: pageSize, ...(since === undefined ? {} : { since: toUint64(since, 'since') }) }
    return succeeded(await backend.events(toVolumeRef(volume), query))
  })
}

export default events
