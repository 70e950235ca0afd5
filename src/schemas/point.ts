// The point in time view and revert select: a base snapshot and the ns time replayed to.
import { Type } from '@sinclair/typebox'
import { Uint64, Uint64Input } from './common.js'

export const SnapshotName = Type.String({ minLength: 1, maxLength: 256, description: 'io快照名称' })

export function Timestamp (what: string) {
  return Uint64Input(`选择${what}的时间戳（纳秒）`)
}

/** The record: a base snapshot and the ns time replayed to (the port's PointInTime). */
export const PointInTime = Type.Object({
  snapshot_name: SnapshotName,
  timestamp: Uint64('时间戳（纳秒）')
}, { title: 'PointInTime' })
