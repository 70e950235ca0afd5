// The answer of a batch call: one envelope per requested volume, in request order, each
// with the volume's identity as `data`, failures included.
import type { Static } from '@sinclair/typebox'
import type { BatchOutcome } from '../backend/port.js'
import { failed, succeeded } from '../envelope.js'
import type { CdpBatchResult } from '../schemas/batch.js'

export function toBatchResult (outcomes: BatchOutcome[]): Static<typeof CdpBatchResult> {
  const results = outcomes.map((outcome) => outcome.ok ? succeeded(outcome.volume) : failed(outcome.error, outcome.volume))
  const success = outcomes.filter((outcome) => outcome.ok).length
  return { success, fail: outcomes.length - success, results }
}
