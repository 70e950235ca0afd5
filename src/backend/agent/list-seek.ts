// A deep page across several agents, found with the keyset cursor (`after`, answered with
// `before`) instead of asking every agent for everything up to the page. The page starts
// after the item at global rank s = page_num × page_size. Each agent is probed at its
// share of the ranks still to skip; the smallest probed key P has at most s items at or
// before it in all (each agent holds at most its share plus one there), and the agents'
// `before` counts say exactly how many: the pivot moves to P and the rest is skipped the
// same way, until the page is a short fetch after the pivot away. A pivot that proved right
// is remembered per query and page; it is only a first guess, taken when every agent's
// `before` still adds up to s, so any API replica answers any page the same without it.
// An agent that fails (after the client's own retries) leaves the seek: its ranges carry
// its error, as the plain way reports them, and the page is sought over the agents that
// answer, which is the page the plain way gives without that agent's items.
import type { CdpError } from '../../errors.js'
import { compareListKeys, type ListKey } from '../../list-order.js'
import type { ListQuery } from '../port.js'
import { LIST_PAGE_ITEMS } from './answer-limits.js'
import { mapLimit, settle, type Settled } from './fan-out.js'
import type { AgentAnswer } from './protocol.js'

type ListAnswer = AgentAnswer<'list'>

/** Where one agent's part starts and how much of it: sent with the agent's own list request. */
export interface SeekAsk { after?: ListKey, offset?: number, limit: number }

/** Asks agent `i` for part of its list. */
export type AskAgent = (i: number, ask: SeekAsk) => Promise<ListAnswer>

/** What was found: each agent's answer after the pivot (or its failure), and how many items precede them all. */
export interface Sought { parts: Array<Settled<ListAnswer>>, skipped: number }

/** Agent `agent` answered `after` without `before`: it does not speak the cursor (any more), so the page goes the plain way. */
export class CursorNotSpoken extends Error {
  constructor (readonly agent: number) {
    super(`agent ${agent} answered a list after a cursor without \`before\``)
  }
}

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

/**
 * The agents still in the seek and each one's last kept answer; an agent whose ask fails is
 * out from then on, its error kept for its ranges.
 */
class Agents {
  readonly answers: Array<ListAnswer | undefined>
  readonly errors: Array<CdpError | undefined>

  constructor (count: number, private readonly concurrency: number, private readonly ask: AskAgent) {
    this.answers = new Array<ListAnswer | undefined>(count).fill(undefined)
    this.errors = new Array<CdpError | undefined>(count).fill(undefined)
  }

  /** The agents that have answered every ask so far. */
  live (): number[] {
    return this.errors.flatMap((error, i) => error === undefined ? [i] : [])
  }

  get complete (): boolean {
    return this.errors.every((error) => error === undefined)
  }

  /** The sum of `of(i)` over the live agents. */
  sum (of: (i: number) => number): number {
    return this.live().reduce((total, i) => total + of(i), 0)
  }

  /** Asks each live agent what `askOf` says; the answers are by agent (undefined: out). */
  async round (askOf: (i: number) => SeekAsk): Promise<Array<ListAnswer | undefined>> {
    return await this.roundWith(async (i) => await this.asking(i, askOf(i)))
  }

  /** Calls `call` for each live agent; one that fails is out. */
  async roundWith (call: (i: number) => Promise<ListAnswer>): Promise<Array<ListAnswer | undefined>> {
    const answers = new Array<ListAnswer | undefined>(this.answers.length).fill(undefined)
    await mapLimit(this.live(), this.concurrency, async (i) => {
      const answer = await settle(call(i))
      if (answer.ok) answers[i] = answer.value
      else this.errors[i] = answer.error
    })
    return answers
  }

  /** `ask` of agent `i`; an answer to `after` must say `before`. */
  async asking (i: number, ask: SeekAsk): Promise<ListAnswer> {
    const answer = await this.ask(i, ask)
    if (ask.after !== undefined && answer.before === undefined) throw new CursorNotSpoken(i)
    return answer
  }

  /** The answers of a round become the live agents' last. */
  keep (answers: ReadonlyArray<ListAnswer | undefined>): void {
    for (const i of this.live()) this.answers[i] = answers[i]
  }

  parts (): Array<Settled<ListAnswer>> {
    return this.errors.map((error, i) => error === undefined ? { ok: true, value: this.answers[i] as ListAnswer } : { ok: false, error })
  }
}

/** The page `query` names, from `count` agents asked `concurrency` at a time. */
export async function seekPage (query: ListQuery, count: number, concurrency: number, ask: AskAgent, memory: PivotMemory): Promise<Sought> {
  const rank = query.page_num * query.page_size
  const size = query.page_size
  const agents = new Agents(count, concurrency, ask)
  const beforeIn = (answers: ReadonlyArray<ListAnswer | undefined>): number[] => answers.map((answer) => answer?.before ?? 0)

  const remembered = memory.get(query, rank)
  if (remembered !== undefined) {
    const answers = await agents.round(() => ({ after: remembered, limit: size }))
    agents.keep(answers)
    const before = beforeIn(answers)
    if (agents.complete && agents.sum((i) => before[i] ?? 0) === rank) return { parts: agents.parts(), skipped: rank }
  }

  agents.keep(await agents.round(() => ({ limit: 1 })))
  let pivot: ListKey | undefined
  // What each live agent holds at or before the pivot, and all of them together.
  let before = new Array<number>(count).fill(0)
  let skipped = 0
  // How many items after the pivot (or from the top) each kept answer holds.
  let fetched = 1
  for (let round = 0; round < MAX_PROBES; round++) {
    const live = agents.live()
    const totals = agents.answers.map((answer) => answer === undefined ? 0 : totalOf(answer))
    const left = agents.sum((i) => totals[i] ?? 0) - skipped
    // A page past the end: nothing to find, and the totals are in hand.
    if (left <= rank - skipped) return { parts: agents.parts(), skipped }
    const room = rank - skipped - live.length
    if (rank - skipped <= FINAL_GAP || room <= 0) break
    const from = pivot
    const shares = totals.map((n, i) => agents.errors[i] === undefined ? Math.max(0, n - (before[i] ?? 0)) : 0)
    const offsets = shares.map((share) => Math.floor(room * share / left))
    const probes = await agents.round((i) => ({ ...(from === undefined ? {} : { after: from }), offset: offsets[i] ?? 0, limit: 1 }))
    // An agent out since the probes were sent counts for nothing: it holds no share any more.
    const next = nextPivot(probes.map((answer) => answer?.items[0]), offsets, shares.map((share, i) => agents.errors[i] === undefined ? share : 0), rank - skipped)
    if (next === undefined) break
    const answers = await agents.round(() => ({ after: next, limit: FINAL_GAP + size }))
    agents.keep(answers)
    before = beforeIn(answers)
    skipped = agents.sum((i) => before[i] ?? 0)
    pivot = next
    fetched = FINAL_GAP + size
    if (skipped > rank) {
      // Only when the lists changed meanwhile (the pivot passed the page): seek again from the top.
      pivot = undefined
      before.fill(0)
      skipped = 0
      fetched = 0
    }
  }

  const wanted = rank - skipped + size
  if (fetched < wanted) {
    const start = pivot
    const answers = await agents.roundWith(async (i) => await fetchUpTo(async (ask) => await agents.asking(i, ask), start, wanted))
    agents.keep(answers)
    before = beforeIn(answers)
    skipped = agents.sum((i) => before[i] ?? 0)
    // The lists changed during the fetch: the page is wherever the top says.
    if (skipped > rank) {
      agents.keep(await agents.roundWith(async (i) => await fetchUpTo(async (ask) => await agents.asking(i, ask), undefined, rank + size)))
      return { parts: agents.parts(), skipped: 0 }
    }
  }
  const merged = agents.live().flatMap((i) => agents.answers[i]?.items ?? []).sort(compareListKeys)
  const last = rank - skipped === 0 ? pivot : merged[rank - skipped - 1]
  if (agents.complete && last !== undefined && merged.length >= rank - skipped) memory.set(query, rank, keyOf(last))
  return { parts: agents.parts(), skipped }
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

/** An agent's first `count` items after `after`, a page of LIST_PAGE_ITEMS at a time, each page after the last. */
async function fetchUpTo (ask: (ask: SeekAsk) => Promise<ListAnswer>, after: ListKey | undefined, count: number): Promise<ListAnswer> {
  const first = await ask({ ...(after === undefined ? {} : { after }), limit: Math.min(count, LIST_PAGE_ITEMS) })
  const items = [...first.items]
  let last = first
  while (last.items.length === LIST_PAGE_ITEMS && items.length < count) {
    last = await ask({ after: keyOf(items[items.length - 1] as ListKey), limit: Math.min(count - items.length, LIST_PAGE_ITEMS) })
    items.push(...last.items)
  }
  return { ...first, items }
}
