// POST /view — 卷cdp查看: `on` exposes a read-only image of (snapshot_name, timestamp) and
// answers the host it is exposed on; `off` removes it. One view per volume.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { succeeded } from '../envelope.js'
import { CdpError } from '../errors.js'
import { toUint64 } from '../json.js'
import { StringEnum, responses } from '../schemas/common.js'
import { ViewData } from '../schemas/info.js'
import { SnapshotName, Timestamp } from '../schemas/point.js'
import { InternalVolumeIdentifier } from '../schemas/volume.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

/**
 * The spec lists snapshot_name and timestamp as required, so a typed client sends them with
 * `off` too, at their zero values or left over from `on`: `off` ignores them, whatever they hold.
 */
async function ignorePointWhenOff (request: FastifyRequest): Promise<void> {
  const body = request.body as Record<string, unknown> | null
  if (typeof body === 'object' && body !== null && body.op === 'off') {
    delete body.snapshot_name
    delete body.timestamp
  }
}

const view: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend }) => {
  app.post('/view', {
    preValidation: ignorePointWhenOff,
    schema: {
      summary: '卷cdp查看',
      body: Type.Object({
        ...InternalVolumeIdentifier.properties,
        op: StringEnum(['on', 'off'], '操作：on 打开查看，off 关闭查看（off时忽略snapshot_name与timestamp）'),
        snapshot_name: Type.Optional({ ...SnapshotName, description: 'io快照名称（op为on时必填）' }),
        timestamp: Type.Optional(Timestamp('查看'))
      }),
      response: responses(ViewData)
    }
  }, async (request) => {
    const { body } = request
    const volume = toVolumeRef(body)
    if (body.op === 'off') {
      await backend.viewOff(volume)
      return succeeded({ cdp_info: null, host_uuid: '' })
    }
    if (body.snapshot_name === undefined) throw new CdpError('MISSING_PARAMETER', 'snapshot_name is required when op is "on"')
    if (body.timestamp === undefined) throw new CdpError('MISSING_PARAMETER', 'timestamp is required when op is "on"')
    const point = { snapshot_name: body.snapshot_name, timestamp: toUint64(body.timestamp, 'timestamp') }
    const { host_uuid: hostUuid } = await backend.viewOn(volume, point)
    return succeeded({ cdp_info: null, host_uuid: hostUuid })
  })
}

export default view
