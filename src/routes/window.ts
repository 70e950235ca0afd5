// GET /window — extension: a volume's protection window (recoverable ranges, gaps and their
// reasons, configured against actual history, journal use) and its pressure.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../envelope.js'
import { protectionPressure } from '../protection-pressure.js'
import { responses } from '../schemas/common.js'
import { InternalVolumeIdentifier } from '../schemas/volume.js'
import { ProtectionWindow } from '../schemas/window.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

const window: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, windowWarningFraction }) => {
  app.get('/window', {
    schema: {
      summary: '卷cdp保护窗口',
      operationId: 'window',
      querystring: InternalVolumeIdentifier,
      response: responses(ProtectionWindow)
    }
  }, async (request) => {
    const facts = await backend.window(toVolumeRef(request.query))
    return succeeded({ ...facts, pressure: protectionPressure(facts, windowWarningFraction) })
  })
}

export default window
