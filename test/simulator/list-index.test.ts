// The list's name index answers exactly what the SQL answers: over random names (case and
// folding variants, duplicates, characters past U+FFFF, LIKE wildcards), random histories
// from this connection and from a second one on the same file, and random queries (filter,
// tenant, namespaces, page, a cursor).
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import type { ListQuery } from '../../src/backend/port.js'
import { listCdps } from '../../simulator/list.js'
import { openDatabase } from '../../simulator/schema.js'
import { sqlOver, type Sql } from '../../simulator/sql.js'
import { openSimulator, type Simulator, type Topology } from '../../simulator/index.js'

const CLUSTER = randomUUID()
const OTHER_CLUSTER = randomUUID()
const TENANTS = [randomUUID(), randomUUID()]
/** Open to all, Tenant 0's, tenant 1's; and one in the other cluster. */
const NAMESPACES = [randomUUID(), randomUUID(), randomUUID()]
const OTHER_NAMESPACE = randomUUID()
const POLICY = { cdp_priority: 'mid' as const, reserve_capacity: 1n << 30n, reserve_duration: 3600n }

const nameArb = fc.array(fc.constantFrom('a', 'A', 'b', 'ß', 'S', 's', 'Σ', 'σ', 'ς', '𝒜', '𝒶', 'ﬁ', 'fi', '-', '0', '1', 'é', 'e\u0301', '%', '_', '\uFF21'), { maxLength: 7 })
  .map((parts) => parts.join(''))

function topologyOf (names: readonly string[]): Topology {
  const host = (cluster: string) => ({ uuid: randomUUID(), maddr: '127.0.0.1', cdp_disks: [{ path: `/dev/${cluster.slice(0, 4)}`, capacity: 2 ** 50 }] })
  return {
    clusters: [
      {
        uuid: CLUSTER,
        name: 'c',
        mode: '',
        namespaces: [{ uuid: NAMESPACES[0] as string }, { uuid: NAMESPACES[1] as string, tenants: [TENANTS[0] as string] }, { uuid: NAMESPACES[2] as string, tenants: [TENANTS[1] as string] }],
        hosts: [host(CLUSTER)]
      },
      { uuid: OTHER_CLUSTER, name: 'o', mode: '', namespaces: [{ uuid: OTHER_NAMESPACE }], hosts: [host(OTHER_CLUSTER)] }
    ],
    tenants: TENANTS.map((uuid, i) => ({ uuid, name: `t${i}` })),
    vms: [],
    volumes: names.map((name, i) => {
      const other = i % 7 === 6
      return {
        uuid: randomUUID(),
        name,
        size: 1 << 30,
        cluster: other ? OTHER_CLUSTER : CLUSTER,
        namespace: other ? OTHER_NAMESPACE : NAMESPACES[i % 3] as string,
        tenant: TENANTS[other ? 0 : (i % 3 === 2 ? 1 : i % 2)] as string
      }
    })
  }
}

type Step =
  | { kind: 'edit', by: 0 | 1, picks: number[] }
  | { kind: 'clean', by: 0 | 1, picks: number[] }
  | { kind: 'reset', names: string[] }
  | { kind: 'list', query: QueryPick }

interface QueryPick { after: { from: number, name: string | undefined } | undefined, tenant: number, filter: { from: number, start: number, length: number, upper: boolean } | string | undefined, pageNum: number, pageSize: number, only: boolean[] | undefined, except: boolean[] }

const queryArb: fc.Arbitrary<QueryPick> = fc.record({
  // A cursor at a volume's key, or at its uuid with another name.
  after: fc.option(fc.record({ from: fc.nat(), name: fc.option(nameArb, { nil: undefined }) }), { nil: undefined }),
  tenant: fc.integer({ min: -1, max: 2 }),
  filter: fc.oneof(
    fc.record({ from: fc.nat(), start: fc.nat(12), length: fc.integer({ min: 1, max: 40 }), upper: fc.boolean() }),
    nameArb,
    fc.constant(undefined)
  ),
  pageNum: fc.nat(4),
  pageSize: fc.nat(5),
  only: fc.option(fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }), { nil: undefined }),
  except: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 })
})

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('edit' as const), by: fc.constantFrom(0 as const, 1 as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('clean' as const), by: fc.constantFrom(0 as const, 1 as const), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), names: fc.array(nameArb, { minLength: 1, maxLength: 30 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('list' as const), query: queryArb }) }
)

/** A query over the topology's volumes: a filter cut from a name or a uuid, in any case. */
function queryOf (pick: QueryPick, topology: Topology): ListQuery {
  const chosen = (flags: boolean[]) => NAMESPACES.filter((_, i) => flags[i] === true)
  let filter: string | undefined
  if (typeof pick.filter === 'object') {
    const volume = topology.volumes[pick.filter.from % topology.volumes.length]
    const text = pick.filter.from % 2 === 0 ? volume?.name ?? '' : volume?.uuid ?? ''
    const cut = text.slice(pick.filter.start % (text.length + 1), pick.filter.start + pick.filter.length)
    filter = pick.filter.upper ? cut.toUpperCase() : cut
  } else filter = pick.filter
  const at = pick.after === undefined ? undefined : topology.volumes[pick.after.from % topology.volumes.length]
  return {
    cluster_uuid: CLUSTER,
    ...(at === undefined ? {} : { after: { volume_name: pick.after?.name ?? at.name, volume_uuid: at.uuid } }),
    ...(pick.tenant === -1 ? {} : { tenant: TENANTS[pick.tenant] ?? randomUUID() }),
    ...(filter === undefined ? {} : { filter_name: filter }),
    page_num: pick.pageNum,
    page_size: pick.pageSize,
    ...(pick.only === undefined ? {} : { namespaces: chosen(pick.only) }),
    exclude_namespaces: chosen(pick.except)
  }
}

/** The simulator under test, a second simulator on its file, and the SQL answer on a connection of its own. */
async function withFile (t: Test, names: string[], run: (sims: [Simulator, Simulator], reference: Sql, topology: Topology) => Promise<void>): Promise<void> {
  const dir = t.testdir({})
  const db = join(dir, 'sim.db')
  const topology = topologyOf(names)
  const sims: [Simulator, Simulator] = [
    openSimulator({ db, topology, clock: { mode: 'manual' } }),
    openSimulator({ db, topology, clock: { mode: 'manual' } })
  ]
  const handle = openDatabase(db)
  handle.defaultSafeIntegers(true)
  const reference = sqlOver(handle)
  try {
    await run(sims, reference, topology)
  } finally {
    reference.close()
    for (const sim of sims) await sim.close()
  }
}

t.test('the indexed list equals the SQL list over random histories from two connections', async (t) => {
  await fc.assert(fc.asyncProperty(fc.array(nameArb, { minLength: 1, maxLength: 40 }), fc.array(stepArb, { minLength: 1, maxLength: 14 }), async (names, steps) => {
    await withFile(t, names, async (sims, reference, first) => {
      let topology = first
      const refsOf = (picks: number[]) => [...new Set(picks.map((p) => topology.volumes[p % topology.volumes.length]))]
        .flatMap((v) => v === undefined ? [] : [{ cluster_uuid: v.cluster, volume_uuid: v.uuid }])
      const everything: Step = { kind: 'list', query: { after: undefined, tenant: -1, filter: undefined, pageNum: 0, pageSize: 0, only: undefined, except: [false, false, false] } }
      for (const step of [...steps, everything]) {
        if (step.kind === 'edit') await sims[step.by].edit(POLICY, refsOf(step.picks))
        else if (step.kind === 'clean') for (const ref of refsOf(step.picks)) await sims[step.by].clean(ref).catch(() => {})
        else if (step.kind === 'reset') {
          topology = topologyOf(step.names)
          await sims[1].reset(topology)
        } else {
          const query = queryOf(step.query, topology)
          t.strictSame(await sims[0].list(query), listCdps(reference, query), JSON.stringify(query))
        }
      }
    })
  }), { numRuns: 60 })
})

t.test('a reader further behind than the change log reaches rebuilds its index, and answers as the SQL does', async (t) => {
  const fillers = Array.from({ length: 4100 }, (_, i) => `z-${i}`)
  await withFile(t, ['x-1', 'x-2', 'y-1', ...fillers], async (sims, reference, topology) => {
    const refs = topology.volumes.map((v) => ({ cluster_uuid: v.cluster, volume_uuid: v.uuid }))
    const query = { cluster_uuid: CLUSTER, filter_name: 'X-', page_num: 0, page_size: 0 }
    await sims[0].edit(POLICY, refs.slice(0, 3))
    t.equal((await sims[0].list(query)).TotalCount, 2)
    // x-2's clean is the first of 4101 changes; the log keeps the newest 4096.
    await sims[1].clean(refs[1] as typeof refs[number])
    await sims[1].edit(POLICY, refs.slice(3))
    const answer = await sims[0].list(query)
    t.strictSame(answer, listCdps(reference, query))
    t.same(answer.List.map((item) => item.volume_name), ['x-1'])
  })
})
