// The eight CDP endpoints and the extensions beside them (window, events, group view/revert, changes), mounted under /v1/volume/internal/cdp by the app.
import type { FastifyPluginAsync } from 'fastify'
import changes from './changes.js'
import clean from './clean.js'
import disable from './disable.js'
import edit from './edit.js'
import enable from './enable.js'
import events from './events.js'
import group from './group.js'
import info from './info.js'
import list from './list.js'
import type { CdpRouteOptions } from './options.js'
import revert from './revert.js'
import view from './view.js'
import window from './window.js'
import { dropZeroValues } from './zero-values.js'

export const API_PREFIX = '/v1/volume/internal/cdp'

const cdpRoutes: FastifyPluginAsync<CdpRouteOptions> = async (app, { backend, maxVolumesPerBatch, windowWarningFraction }) => {
  app.addHook('preValidation', dropZeroValues)
  // Not `options` whole: it carries this plugin's prefix, which the routes must not repeat.
  for (const route of [edit, enable, disable, list, info, clean, view, revert, window, events, group, changes]) {
    await app.register(route, { backend, maxVolumesPerBatch, windowWarningFraction })
  }
}

export default cdpRoutes
