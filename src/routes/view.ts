// POST /view — 卷cdp查看: `on` exposes a read-only image of (snapshot_name, timestamp) and
// answers the host it is exposed on; `off` removes it. One view per volume.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { succeeded } from '../envelope.js'
import { CdpError } from '../errors.js'
import { toUint64 } from '../json.js'
import { StringEnum, responses } from '../schemas/common.js'
import { CdpViewData } from '../schemas/info.js'
import { SnapshotName, Timestamp } from '../schemas/point.js'
import { InternalVolumeIdentifier } from '../schemas/volume.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

/**
 * The spec lists snapshot_name and timestamp as required, so a typed client sends them with
 * `off` too, at their zero values or left over from `on`: `off` ignores them, whatever they hold.
 */
export async function ignorePointWhenOff (request: FastifyRequest): Promise<void> {
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
      operationId: 'cdpView',
      tags: ['cdp'],
      summary: 'Expose (op on) or remove (op off) a read-only image of a volume at a point in time',
      description: '卷cdp查看。op on answers the host the image is exposed on; one view per volume. op off ignores snapshot_name and timestamp.',
      'x-scodes': ['INVALID_UINT64', 'VOLUME_NOT_FOUND', 'CDP_NOT_FOUND', 'SNAPSHOT_NOT_FOUND', 'POINT_NOT_RECOVERABLE', 'SNAPSHOT_NOT_BASE', 'SEGMENT_OFFLINE', 'VIEW_ALREADY_ON', 'VIEW_NOT_FOUND'],
      // The spec marks them required; the server also takes op off without them.
      'x-spec-required': ['snapshot_name', 'timestamp'],
      body: Type.Object({
        ...InternalVolumeIdentifier.properties,
        op: StringEnum(['on', 'off'], '操作：on 打开查看，off 关闭查看（off时忽略snapshot_name与timestamp）'),
        snapshot_name: Type.Optional({ ...SnapshotName, description: 'io快照名称（op为on时必填）' }),
        timestamp: Type.Optional(Timestamp('查看'))
      }, { title: 'CdpViewRequest' }),
      response: responses(CdpViewData, 'CdpViewOutput')
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
