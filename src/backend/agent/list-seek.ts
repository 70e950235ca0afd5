// A deep page across several agents, found with the keyset cursor (`after`, answered with
// `before`) instead of asking every agent for everything up to the page. The page starts
// after the item at global rank s = page_num × page_size. Each agent is probed at its
// share of the ranks still to skip; the smallest probed key P has at most s items at or
// before it in all (each agent holds at most its share plus one there), and the agents'
// `before` counts say exactly how many: the pivot moves to P and the rest is skipped the
// same way, until the page is a short fetch after the pivot away. A pivot that proved right
// is remembered per query and page; it is only a first guess, taken when every agent's
// `before` still adds up to s, so any API replica answers any page the same without it.
import { CdpError } from '../../errors.js'
import { compareListKeys, type ListKey } from '../../list-order.js'
import type { ListQuery } from '../port.js'
import { LIST_PAGE_ITEMS } from './answer-limits.js'
import { mapLimit } from './fan-out.js'
import type { AgentAnswer } from './protocol.js'

type ListAnswer = AgentAnswer<'list'>

/** Where one agent's part starts and how much of it: sent with the agent's own list request. */
export interface SeekAsk { after?: ListKey, offset?: number, limit: number }

/** Asks agent `i` for part of its list. */
export type AskAgent = (i: number, ask: SeekAsk) => Promise<ListAnswer>

/** What was found: each agent's answer after the pivot, and how many items precede them all. */
export interface Sought { answers: ListAnswer[], skipped: number }

/** Ranks still to skip when the page is fetched outright: each agent sends up to this many plus the page. */
const FINAL_GAP = 64
/** Probe rounds before the rest is fetched outright (each round is two requests per agent). */
const MAX_PROBES = 8
/** Pages whose pivot is remembered. */
const REMEMBERED = 1024

/**
 * Whether a page is worth seeking: deep enough that asking each agent for everything up to
 * it would take more than one request, and small enough that a probe answer holds it.
 */
export function seekable (query: ListQuery): boolean {
  return query.page_size > 0 && query.page_size + FINAL_GAP <= LIST_PAGE_ITEMS &&
    (query.page_num + 1) * query.page_size > LIST_PAGE_ITEMS
}

/** Pivots that proved right, by query (without its page) and rank. */
export class PivotMemory {
  private readonly pivots = new Map<string, ListKey>()

  get (query: ListQuery, rank: number): ListKey | undefined {
    return this.pivots.get(memoryKey(query, rank))
  }

  set (query: ListQuery, rank: number, pivot: ListKey): void {
    const key = memoryKey(query, rank)
    this.pivots.delete(key)
    if (this.pivots.size >= REMEMBERED) this.pivots.delete(this.pivots.keys().next().value as string)
    this.pivots.set(key, pivot)
  }
}

function memoryKey ({ cluster_uuid: cluster, tenant, filter_name: filter, namespaces, exclude_namespaces: except }: ListQuery, rank: number): string {
  return JSON.stringify([cluster.toLowerCase(), tenant?.toLowerCase() ?? null, filter ?? '', namespaces ?? null, except ?? [], rank])
}

const totalOf = (answer: ListAnswer): number => answer.ranges.reduce((sum, range) => sum + range.total_count, 0)
const keyOf = (item: ListKey): ListKey => ({ volume_name: item.volume_name, volume_uuid: item.volume_uuid })

/** Every agent's `before`, which an agent that was sent `after` must answer. */
function beforeOf (answer: ListAnswer): number {
  if (answer.before === undefined) throw new CdpError('AGENT_BAD_RESPONSE', 'a list answer to `after` without `before`')
  return answer.before
}

/** How many items are at or before the pivot in all; past the page only if the lists changed meanwhile (the caller then starts over the plain way). */
function passed (answers: readonly ListAnswer[], rank: number): number {
  const sum = answers.reduce((total, answer) => total + beforeOf(answer), 0)
  if (sum > rank) throw new CdpError('AGENT_BAD_RESPONSE', 'the agents\' lists changed during a deep page')
  return sum
}

/** The page `query` names, from `agents` agents asked `concurrency` at a time. */
export async function seekPage (query: ListQuery, agents: number, concurrency: number, ask: AskAgent, memory: PivotMemory): Promise<Sought> {
  const rank = query.page_num * query.page_size
  const size = query.page_size
  const indexes = Array.from({ length: agents }, (_, i) => i)
  const all = async (fn: (i: number) => Promise<ListAnswer>): Promise<ListAnswer[]> => await mapLimit(indexes, concurrency, fn)

  const remembered = memory.get(query, rank)
  if (remembered !== undefined) {
    const answers = await all(async (i) => await ask(i, { after: remembered, limit: size }))
    if (answers.reduce((sum, answer) => sum + beforeOf(answer), 0) === rank) return { answers, skipped: rank }
  }

  let answers = await all(async (i) => await ask(i, { limit: 1 }))
  let pivot: ListKey | undefined
  let skipped = 0
  let before = answers.map(() => 0)
  let fetched = 1
  for (let round = 0; round < MAX_PROBES; round++) {
    const totals = answers.map(totalOf)
    const left = totals.reduce((sum, n) => sum + n, 0) - skipped
    // A page past the end: nothing to find, and the totals are in hand.
    if (left <= rank - skipped) return { answers, skipped }
    const room = rank - skipped - agents
    if (rank - skipped <= FINAL_GAP || room <= 0) break
    const from = pivot
    const shares = totals.map((n, i) => Math.max(0, n - (before[i] ?? 0)))
    const offsets = shares.map((share) => Math.floor(room * share / left))
    const probes = await all(async (i) => await ask(i, { ...(from === undefined ? {} : { after: from }), offset: offsets[i] ?? 0, limit: 1 }))
    const next = nextPivot(probes.map((answer) => answer.items[0]), offsets, shares, rank - skipped)
    if (next === undefined) break
    answers = await all(async (i) => await ask(i, { after: next, limit: FINAL_GAP + size }))
    before = answers.map(beforeOf)
    skipped = passed(answers, rank)
    pivot = next
    fetched = FINAL_GAP + size
  }

  const wanted = rank - skipped + size
  if (fetched < wanted) {
    const start = pivot
    answers = await all(async (i) => await fetchUpTo(ask, i, start, wanted))
    skipped = start === undefined ? 0 : passed(answers, rank)
  }
  const merged = answers.flatMap((answer) => answer.items).sort(compareListKeys)
  const last = rank - skipped === 0 ? pivot : merged[rank - skipped - 1]
  if (last !== undefined && merged.length >= rank - skipped) memory.set(query, rank, keyOf(last))
  return { answers, skipped }
}

/**
 * The furthest probe that cannot pass the page: agent i's probe is its item after the pivot
 * at offset offsets[i], so at or before probe j agent i has exactly offsets[j] + 1 items
 * when i is j, at most offsets[i] when its probe is later, and at most its whole share
 * when earlier (or missing). The smallest probe always fits (the offsets add up to less
 * than `gap` by one per agent); a later one may, when the agents' names interleave less.
 */
function nextPivot (probes: ReadonlyArray<ListKey | undefined>, offsets: readonly number[], shares: readonly number[], gap: number): ListKey | undefined {
  const found = probes.flatMap((probe, j) => probe === undefined ? [] : [{ probe, j }])
  const most = ({ probe, j }: { probe: ListKey, j: number }): number => probes.reduce((sum, other, i) => {
    if (i === j) return sum + (offsets[i] ?? 0) + 1
    if (other !== undefined && compareListKeys(other, probe) > 0) return sum + (offsets[i] ?? 0)
    return sum + (shares[i] ?? 0)
  }, 0)
  const fitting = found.filter((candidate) => most(candidate) <= gap).map(({ probe }) => probe).sort(compareListKeys)
  const chosen = fitting[fitting.length - 1] ?? found.map(({ probe }) => probe).sort(compareListKeys)[0]
  return chosen === undefined ? undefined : keyOf(chosen)
}

/** The first `count` items of agent `i` after `after`, a page of LIST_PAGE_ITEMS at a time, each page after the last. */
async function fetchUpTo (ask: AskAgent, i: number, after: ListKey | undefined, count: number): Promise<ListAnswer> {
  const first = await ask(i, { ...(after === undefined ? {} : { after }), limit: Math.min(count, LIST_PAGE_ITEMS) })
  const items = [...first.items]
  let last = first
  while (last.items.length === LIST_PAGE_ITEMS && items.length < count) {
    last = await ask(i, { after: keyOf(items[items.length - 1] as ListKey), limit: Math.min(count - items.length, LIST_PAGE_ITEMS) })
    items.push(...last.items)
  }
  return { ...first, items }
}
