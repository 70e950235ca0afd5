// What one agent answer may weigh. An answer is read only up to what its operation can
// honestly need: a single-volume answer a few MiB, a batch or a list page a fixed part plus
// a part per item asked for. Past that the answer is dropped while it streams, so a broken
// or hostile agent cannot make the API hold (or parse) more than that.
import type { AgentRequest, Operation } from './protocol.js'

const MiB = 1024 * 1024

/** Envelope, cluster, ranges, and every answer that names no items (info's segments and snapshots included). */
export const FIXED_ANSWER_BYTES = 4 * MiB
/** One batch result, list item or protection standing: a volume's identity and policy, with room for long names. */
export const ITEM_ANSWER_BYTES = 4 * 1024
/**
 * The most list items asked of an agent at once; a longer list (page_size 0, or a deep
 * page) is asked for in pages of this size.
 */
export const LIST_PAGE_ITEMS = 1000

/** The operations that answer one result per volume sent. */
const BATCH_OPERATIONS: ReadonlySet<Operation> = new Set(['edit', 'enable', 'disable', 'groupViewOn', 'groupViewOff', 'groupRevert'])

/** The largest answer the client reads for `request`. */
export function answerLimit<Op extends Operation> (op: Op, request: AgentRequest<Op>): number {
  let items = 0
  if (op === 'list') items = limitOf(request as AgentRequest<'list'>)
  else if (BATCH_OPERATIONS.has(op)) items = (request as AgentRequest<'enable'>).volumes.length
  else if (op === 'protection') items = (request as AgentRequest<'protection'>).limit
  return FIXED_ANSWER_BYTES + items * ITEM_ANSWER_BYTES
}

/** A list asking for everything (limit 0) is held to one page's worth: longer lists are paged. */
function limitOf ({ limit }: AgentRequest<'list'>): number {
  return limit === 0 || limit > LIST_PAGE_ITEMS ? LIST_PAGE_ITEMS : limit
}
