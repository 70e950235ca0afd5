// POST /group/view and /group/revert — extension: one point in time for several volumes (a
// consistency group), named by its volumes or by vm_uuid, viewed or reverted all or nothing.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { CdpBackend, GroupResult, VolumeRef } from '../backend/port.js'
import { succeeded } from '../envelope.js'
import { CdpError } from '../errors.js'
import { toUint64 } from '../json.js'
import { responses } from '../schemas/common.js'
import { CdpGroupResult, GroupRevertBody, GroupViewBody } from '../schemas/group.js'
import type { InternalVolumeIdentifier } from '../schemas/volume.js'
import { batchResults } from './batch.js'
import type { CdpRouteOptions } from './options.js'
import { ignorePointWhenOff } from './view.js'
import { toVolumeRef } from './volume-ref.js'

interface GroupFields {
  cluster_uuid: string
  tenant?: string
  volumes?: InternalVolumeIdentifier[]
  vm_uuid?: string
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase()

/** The group's volumes: those listed (each in the group's cluster and tenant, once), or the VM's. */
async function membersOf (backend: CdpBackend, group: GroupFields): Promise<VolumeRef[]> {
  const { cluster_uuid: cluster, tenant, volumes, vm_uuid: vm } = group
  if ((volumes === undefined) === (vm === undefined)) throw new CdpError('GROUP_NEEDS_MEMBERS', 'give volumes or vm_uuid')
  if (vm !== undefined) return await backend.groupMembers({ cluster_uuid: cluster, vm_uuid: vm, ...(tenant === undefined ? {} : { tenant }) })
  const seen = new Set<string>()
  return (volumes ?? []).map((volume, i) => {
    const mismatch = (what: string): never => { throw new CdpError('GROUP_MEMBER_MISMATCH', `volumes/${i}: ${what}`) }
    if (!same(volume.cluster_uuid, cluster)) mismatch(`cluster_uuid ${volume.cluster_uuid} is not the group's ${cluster}`)
    if (tenant !== undefined && volume.tenant !== undefined && !same(volume.tenant, tenant)) mismatch(`tenant ${volume.tenant} is not the group's ${tenant}`)
    const key = volume.volume_uuid.toLowerCase()
    if (seen.has(key)) mismatch(`volume ${volume.volume_uuid} is named twice`)
    seen.add(key)
    return toVolumeRef({ ...volume, ...(tenant === undefined ? {} : { tenant }) })
  })
}

function toGroupResult ({ time, outcomes }: GroupResult): CdpGroupResult {
  return { ...batchResults(outcomes, (o) => ({ ...o.volume, snapshot_name: o.snapshot_name, host_uuid: o.host_uuid })), time }
}

const ANSWER = 'All or nothing: when any volume refuses, none changes; its result carries its refusal and the others GROUP_NOT_APPLIED (success 0). The answer is HTTP 200 in the batch shape either way.'
const REQUEST_SCODES = ['INVALID_UINT64', 'TOO_MANY_VOLUMES', 'GROUP_MEMBER_MISMATCH', 'GROUP_NEEDS_MEMBERS', 'CLUSTER_NOT_FOUND', 'VM_NOT_FOUND', 'CDP_NOT_FOUND', 'GROUP_SPANS_AGENTS', 'AGENT_OPERATION_UNSUPPORTED'] as const
const RESULT_SCODES = ['CLUSTER_NOT_FOUND', 'VOLUME_NOT_FOUND', 'CDP_NOT_FOUND', 'POINT_NOT_RECOVERABLE', 'SEGMENT_OFFLINE', 'GROUP_NOT_APPLIED'] as const

const group: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend, maxVolumesPerBatch }) => {
  app.post('/group/view', {
    preValidation: ignorePointWhenOff,
    schema: {
      operationId: 'cdpGroupView',
      tags: ['extensions'],
      summary: 'Expose (op on) or remove (op off) read-only images of several volumes at one point in time, all or nothing',
      description: `卷组cdp查看。Each volume is replayed from its own newest snapshot at or before timestamp (its result names it). ${ANSWER} op off ignores timestamp.`,
      'x-scodes': [...REQUEST_SCODES, 'MISSING_PARAMETER'],
      'x-result-scodes': [...RESULT_SCODES, 'VIEW_ALREADY_ON', 'VIEW_NOT_FOUND'],
      body: GroupViewBody(maxVolumesPerBatch),
      response: responses(CdpGroupResult, 'CdpGroupOutput')
    }
  }, async (request) => {
    const { body } = request
    const volumes = await membersOf(backend, body)
    if (body.op === 'off') return succeeded(toGroupResult(await backend.groupViewOff(volumes)))
    if (body.timestamp === undefined) throw new CdpError('MISSING_PARAMETER', 'timestamp is required when op is "on"')
    return succeeded(toGroupResult(await backend.groupViewOn(volumes, toUint64(body.timestamp, 'timestamp'))))
  })

  app.post('/group/revert', {
    schema: {
      operationId: 'cdpGroupRevert',
      tags: ['extensions'],
      summary: 'Roll several volumes back to one point in time, all or nothing',
      description: `卷组cdp回滚。Each volume is replayed from its own newest snapshot at or before timestamp (its result names it); the group changes at one ns, time, so a group revert to time - 1 undoes it. ${ANSWER}`,
      'x-scodes': [...REQUEST_SCODES],
      'x-result-scodes': [...RESULT_SCODES, 'VOLUME_IN_USE', 'VIEW_IS_ON'],
      body: GroupRevertBody(maxVolumesPerBatch),
      response: responses(CdpGroupResult, 'CdpGroupOutput')
    }
  }, async (request) => {
    const { body } = request
    const volumes = await membersOf(backend, body)
    return succeeded(toGroupResult(await backend.groupRevert(volumes, toUint64(body.timestamp, 'timestamp'))))
  })
}

export default group
