// The answer of a batch call: one envelope per requested volume, in request order, each
// with the volume's identity as `data`, failures included.
import type { Static } from '@sinclair/typebox'
import type { BatchOutcome } from '../backend/port.js'
import { type Envelope, failed, succeeded } from '../envelope.js'
import type { CdpBatchResult } from '../schemas/batch.js'

/** Counts and one envelope per outcome, its `data` what `data` makes of the outcome. */
export function batchResults<O extends BatchOutcome, D> (outcomes: O[], data: (outcome: O) => D): { success: number, fail: number, results: Array<Envelope<D>> } {
  const results = outcomes.map((outcome) => outcome.ok ? succeeded(data(outcome)) : failed(outcome.error, data(outcome)))
  const success = outcomes.filter((outcome) => outcome.ok).length
  return { success, fail: outcomes.length - success, results }
}

export function toBatchResult (outcomes: BatchOutcome[]): Static<typeof CdpBatchResult> {
  return batchResults(outcomes, (outcome) => outcome.volume)
}
