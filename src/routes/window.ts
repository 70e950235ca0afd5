// GET /window — extension: a volume's protection window (recoverable ranges, gaps and their
// reasons, configured against actual history, journal use) and its pressure.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { pressureFacts, protectionPressure } from '../protection-pressure.js'
import { responses } from '../schemas/common.js'
import { InternalVolumeIdentifier } from '../schemas/volume.js'
import { ProtectionWindow } from '../schemas/window.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const window: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, windowWarningFraction }) => {
  app.get('/window', {
    schema: {
      operationId: 'cdpWindow',
      tags: ['extensions'],
      summary: 'A volume\'s protection window: recoverable ranges, gaps and why, history against the policy, pressure',
      description: '卷cdp保护窗口。Ranges and gaps are inclusive ns; gap reasons: cleaned, host_offline, disabled, disk_failed, disk_full, trimmed_by_capacity, no_base_snapshot.',
      'x-scodes': ['VOLUME_NOT_FOUND', 'CDP_NOT_FOUND', 'AGENT_OPERATION_UNSUPPORTED'],
      querystring: InternalVolumeIdentifier,
      response: responses(ProtectionWindow)
    }
  }, async (request) => {
    const facts = await backend.window(toVolumeRef(request.query))
    return succeeded({ ...facts, pressure: protectionPressure(pressureFacts(facts), windowWarningFraction) })
  })
}

export default window
