// The point in time view and revert select: a base snapshot and the ns time replayed to.
import { Type } from '@sinclair/typebox'
import { Uint64Input } from './common.js'

export const SnapshotName = Type.String({ minLength: 1, maxLength: 256, description: 'io快照名称' })

export function Timestamp (what: string) {
  return Uint64Input(`选择${what}的时间戳（纳秒）`)
}
