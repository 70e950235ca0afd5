// Consistency groups: one point in time for several volumes, viewed or reverted all or
// nothing. Each volume is replayed from its own newest snapshot at or before the time, and
// the whole group changes at one ns (after every member's last change), so a group revert
// is undone by a group revert to the ns before it. The rules of each volume's change are
// view.ts's and revert.ts's; this module names the members, finds each base, and undoes
// every member's change when one of them refuses.
import type { GroupOutcome, GroupResult, Ns, PointInTime, VmGroupRef, VolumeRef } from '../src/backend/port.js'
import { identityFromRef } from '../src/backend/identity.js'
import { CdpError, isCdpError } from '../src/errors.js'
import { requireRecoverable } from './point-in-time.js'
import type { Sql } from './sql.js'
import { identityOf, resolveVolume, type VolumeRow } from './volume.js'

/** The CDP volumes of a VM (those of `tenant`, when given), in name order. */
export function groupMembers (sql: Sql, vm: VmGroupRef): VolumeRef[] {
  const cluster = vm.cluster_uuid.toLowerCase()
  if (sql.get('SELECT 1 AS ok FROM cluster WHERE uuid = ?', cluster) === undefined) throw new CdpError('CLUSTER_NOT_FOUND', vm.cluster_uuid)
  const volumes = sql.all<{ uuid: string, tenant: string, has_cdp: bigint }>(`
    SELECT v.uuid, t.uuid AS tenant, cdp.volume_id IS NOT NULL AS has_cdp
    FROM vm JOIN volume v ON v.vm_id = vm.id JOIN cluster c ON c.id = v.cluster_id JOIN tenant t ON t.id = v.tenant_id
    LEFT JOIN cdp ON cdp.volume_id = v.id
    WHERE vm.uuid = ? AND c.uuid = ? ORDER BY v.name, v.uuid`, vm.vm_uuid.toLowerCase(), cluster)
    .filter((v) => vm.tenant === undefined || v.tenant === vm.tenant.toLowerCase())
  // A VM with none of the tenant's volumes is another tenant's: as good as missing.
  if (volumes.length === 0) throw new CdpError('VM_NOT_FOUND', vm.vm_uuid)
  const members = volumes.filter((v) => v.has_cdp === 1n)
  if (members.length === 0) throw new CdpError('CDP_NOT_FOUND', `vm ${vm.vm_uuid} has no volume with CDP`)
  return members.map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid, ...(vm.tenant === undefined ? {} : { tenant: vm.tenant }) }))
}

/** The point of `at` on the volume: `at`, replayed from the volume's newest snapshot at or before it. */
export function groupPoint (sql: Sql, volumeId: bigint, at: Ns, now: Ns): PointInTime {
  requireRecoverable(sql, volumeId, at, now)
  const base = sql.get<{ name: string }>('SELECT name FROM snapshot WHERE volume_id = ? AND time <= ? ORDER BY time DESC, seq DESC LIMIT 1', volumeId, at)
  if (base === undefined) throw new CdpError('POINT_NOT_RECOVERABLE', `${at}: no snapshot at or before it`)
  return { snapshot_name: base.name, timestamp: at }
}

/** What one member's change reports. */
export interface MemberChange { snapshot_name: string, host_uuid: string }

/** A member as it is about to change: found and prepared (caught up), or already refused. */
type Member = { ref: VolumeRef, volume: VolumeRow } | { ref: VolumeRef, refused: GroupOutcome }

/** Thrown out of the group's transaction when a member refused, so that every member's work is undone. */
class GroupRefused extends Error {
  constructor (readonly outcomes: GroupOutcome[]) {
    super('a member of the group refused')
  }
}

export interface GroupSteps {
  /** Brings a member up to now; throws its refusal (CDP_NOT_FOUND…). */
  prepare: (volume: VolumeRow) => void
  /** The ns the whole group changes at, given its members. */
  timeOf: (volumes: VolumeRow[]) => Ns
  /** One member's change at `now`; throws its refusal. */
  change: (volume: VolumeRow, now: Ns) => MemberChange
}

/**
 * Applies `steps` to every volume of the group in one transaction: each member is tried (so
 * the answer names every refusal), and if any refused, the transaction is rolled back and
 * the members that did not refuse are GROUP_NOT_APPLIED.
 */
export function applyToGroup (sql: Sql, refs: VolumeRef[], steps: GroupSteps): GroupResult {
  try {
    return sql.inTransaction(() => {
      const members = refs.map((ref): Member => {
        try {
          const volume = resolveVolume(sql, ref)
          try {
            steps.prepare(volume)
            return { ref, volume }
          } catch (err) {
            return { ref, refused: refusal(err, identityOf(volume)) }
          }
        } catch (err) {
          return { ref, refused: refusal(err, identityFromRef(ref)) }
        }
      })
      const found = members.flatMap((m) => 'volume' in m ? [m.volume] : [])
      const time = found.length === 0 ? 0n : steps.timeOf(found)
      const outcomes = members.map((member): GroupOutcome => {
        if (!('volume' in member)) return member.refused
        const identity = identityOf(member.volume)
        try {
          return { ok: true, volume: identity, ...sql.inSavepoint(() => steps.change(member.volume, time)) }
        } catch (err) {
          return refusal(err, identity)
        }
      })
      if (outcomes.some((o) => !o.ok)) throw new GroupRefused(outcomes)
      return { time, outcomes }
    })
  } catch (err) {
    if (!(err instanceof GroupRefused)) throw err
    return { time: 0n, outcomes: err.outcomes.map(notApplied) }
  }
}

function refusal (err: unknown, volume: GroupOutcome['volume']): GroupOutcome {
  if (!isCdpError(err)) throw err
  return { ok: false, volume, error: err, snapshot_name: '', host_uuid: '' }
}

/** A member that did not refuse, in a group that did: unchanged, with the base it would have used. */
function notApplied (outcome: GroupOutcome): GroupOutcome {
  if (!outcome.ok) return outcome
  return { ok: false, volume: outcome.volume, error: new CdpError('GROUP_NOT_APPLIED', 'another volume of the group refused'), snapshot_name: outcome.snapshot_name, host_uuid: '' }
}
