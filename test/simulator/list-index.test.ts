// The list's name index answers exactly what the SQL answers: over random names (case and
// folding variants, duplicates, characters past U+FFFF, LIKE wildcards), random histories
// from this connection and from a second one on the same file, and random queries (filter,
// tenant, namespaces, page, a cursor).
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import fc from 'fast-check'
import t, { type Test } from 'tap'
import type { ListQuery } from '../../src/backend/port.js'
import { ClusterEntries, type IndexEntry } from '../../simulator/list-index.js'
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

t.test('a reader behind the change log\'s bound rebuilds even when the changes it missed are of one or two volumes', async (t) => {
  await withFile(t, ['x-1', 'x-2'], async (sims, reference, topology) => {
    const refs = topology.volumes.map((v) => ({ cluster_uuid: v.cluster, volume_uuid: v.uuid }))
    const query = { cluster_uuid: CLUSTER, filter_name: 'X-', page_num: 0, page_size: 0 }
    await sims[0].edit(POLICY, refs)
    t.equal((await sims[0].list(query)).TotalCount, 2)
    await sims[1].clean(refs[1] as typeof refs[number])
    // Another writer then touches x-1's name 4096 times (naming it as it was): the log now
    // starts after x-2's clean, and names x-1 alone.
    const x1 = reference.get<{ id: bigint }>('SELECT id FROM volume WHERE uuid = ?', refs[0]?.volume_uuid)?.id
    reference.inTransaction(() => { for (let i = 0; i < 4096; i++) reference.run('UPDATE volume SET name = name WHERE id = ?', x1) })
    const answer = await sims[0].list(query)
    t.same(answer.List.map((item) => item.volume_name), ['x-1'])
    t.strictSame(answer, listCdps(reference, query))
  })
})

/**
 * vol-000 to vol-199, w-050 to w-059, w-0x-05 (both of w-05's trigrams, not w-05), pool-0 (in
 * l-0's list after every name holding -05), then zeta, whose uuid alone holds "-05"; one
 * namespace, one tenant. The uuids are hex and dashes.
 */
function entriesForCost (): { entries: ClusterEntries, zeta: IndexEntry } {
  const entries = new ClusterEntries()
  const names = [...Array.from({ length: 200 }, (_, i) => `vol-${String(i).padStart(3, '0')}`), ...Array.from({ length: 10 }, (_, i) => `w-05${i}`), 'w-0x-05', 'pool-0']
  names.forEach((name, i) => {
    entries.add({ id: i + 1, name, uuid: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`, searchName: name, namespaceId: 1, tenantId: 1 })
  })
  const zeta = { id: 1000, name: 'zeta', uuid: '00000000-0000-4000-8000-050000000000', searchName: 'zeta', namespaceId: 1, tenantId: 1 }
  entries.add(zeta)
  return { entries, zeta }
}

let countedScopes = 0

/** `matching` with a scope of its own (no kept answer) that accepts all and counts how often it is asked, and a uuid index answering `uuidHits`. */
function countedMatch (entries: ClusterEntries, filter: string, uuidHits: number[] = []): { names: string[], checked: number, uuidAsked: number } {
  let checked = 0
  let uuidAsked = 0
  const { entries: found } = entries.matching(filter, `counted ${countedScopes++}`, () => { checked++; return true }, () => { uuidAsked++; return uuidHits })
  return { names: found.map((entry) => entry.name), checked, uuidAsked }
}

t.test('a filter whose rarest trigram is in few names checks only the names in its two rarest trigrams\' lists', async (t) => {
  const { entries } = entriesForCost()
  const fifties = Array.from({ length: 10 }, (_, i) => `vol-05${i}`)
  // "-05" is in 21 names (21 × 8 <= 213), "l-0" in vol-000 to vol-099 and pool-0: both hold vol-050 to vol-059.
  t.same(countedMatch(entries, 'vol-05'), { names: fifties, checked: 10, uuidAsked: 0 })
  t.same(countedMatch(entries, 'w-05'), { names: Array.from({ length: 10 }, (_, i) => `w-05${i}`), checked: 11, uuidAsked: 0 }, 'w-0x-05 is checked, and is no match')
  t.same(countedMatch(entries, 'xyz'), { names: [], checked: 0, uuidAsked: 0 }, 'a trigram no name has: nothing to check')
  t.same(countedMatch(entries, 'vol-1').checked, 213, 'a rarest trigram in 100 names (100 × 8 > 213): every entry is walked')
  t.same(countedMatch(entries, 'ze').checked, 213, 'no trigram: every entry is walked')
  const eight = new ClusterEntries()
  for (const [i, name] of ['zzz', 'y-1', 'y-2', 'y-3', 'y-4', 'y-5', 'y-6', 'y-7'].entries()) {
    eight.add({ id: i + 1, name, uuid: `00000000-0000-4000-8000-00000000000${i}`, searchName: name, namespaceId: 1, tenantId: 1 })
  }
  t.same(countedMatch(eight, 'zzz'), { names: ['zzz'], checked: 1, uuidAsked: 0 }, 'a rarest list of exactly an eighth of the entries is still taken')
})

t.test('every namespace that still has an entry must be in the set for it to cover all', async (t) => {
  const entries = new ClusterEntries()
  const add = (id: number, namespaceId: number) => { entries.add({ id, name: `n-${id}`, uuid: `00000000-0000-4000-8000-00000000000${id}`, searchName: `n-${id}`, namespaceId, tenantId: 1 }) }
  add(1, 1)
  add(2, 2)
  add(3, 2)
  t.notOk(entries.coversAll(new Set([1])))
  entries.remove(2)
  t.notOk(entries.coversAll(new Set([1])), 'namespace 2 keeps one entry')
  t.ok(entries.coversAll(new Set([1, 2])))
  entries.remove(3)
  t.ok(entries.coversAll(new Set([1])), 'namespace 2 has none left')
  entries.remove(3)
  t.ok(entries.coversAll(new Set([1])), 'removing an id twice changes nothing')
  t.notOk(entries.coversAll(new Set([2])))
})

t.test('a filter of hex digits and dashes also takes the uuid index\'s candidates; any other never asks it', async (t) => {
  const { entries, zeta } = entriesForCost()
  // The uuid index is the test's stand-in: it names zeta, and one volume that does not hold the filter.
  const hits = [zeta.id, 7]
  const expected = ['vol-050', 'vol-051', 'vol-052', 'vol-053', 'vol-054', 'vol-055', 'vol-056', 'vol-057', 'vol-058', 'vol-059',
    'w-050', 'w-051', 'w-052', 'w-053', 'w-054', 'w-055', 'w-056', 'w-057', 'w-058', 'w-059', 'w-0x-05', 'zeta']
  t.same(countedMatch(entries, '-05', hits), { names: expected, checked: 23, uuidAsked: 1 })
  t.same(countedMatch(entries, 'vol-05', hits).uuidAsked, 0, 'an "o", an "l" and a "v" are in no uuid')
  t.same(countedMatch(entries, 'g-05', hits).uuidAsked, 0, 'nor a "g" before hex')
  t.same(countedMatch(entries, '-05g', hits).uuidAsked, 0, 'nor a "g" after it')
})

t.test('an answer is kept for its filter and scope until an entry is added or removed; sixteen are kept, the oldest given up first', async (t) => {
  const { entries } = entriesForCost()
  const ask = (filter: string, scope = 's') => entries.matching(filter, scope, () => true, () => [])
  const first = ask('vol-05')
  t.equal(ask('vol-05'), first, 'the same filter and scope: the kept answer')
  t.not(ask('vol-05', 't'), first, 'another scope: its own answer')
  for (let i = 0; i < 14; i++) ask(`vol-${i}`)
  t.equal(ask('vol-05'), first, 'sixteen kept: the first is still there')
  ask('vol-15')
  t.not(ask('vol-05'), first, 'a seventeenth gives up the oldest')
  const kept = ask('w-05')
  entries.add({ id: 2000, name: 'w-05x', uuid: '00000000-0000-4000-8000-000000002000', searchName: 'w-05x', namespaceId: 1, tenantId: 1 })
  const added = ask('w-05')
  t.not(added, kept)
  t.equal(added.entries.length, 11, 'an added entry is found')
  entries.remove(2000)
  t.equal(ask('w-05').entries.length, 10, 'a removed one is not')
})
