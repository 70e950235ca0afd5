// Tenant quotas: a tenant with a cdp_quota holds at most that much reserve_capacity in a
// cluster, and that much is set aside for it alone: other tenants can neither use it up nor
// learn from their refusals how much of it is held.
import t from 'tap'
import fc from 'fast-check'
import { parseTopology } from '../../simulator/index.js'
import type { Topology } from '../../simulator/index.js'
import { openDemo, outcomes, policy, ref } from '../helpers/simulator.js'
import { DEMO, demoTopology } from '../helpers/demo.js'

const TIB = 1024n ** 4n
const GIB = 1024n ** 3n
/** The demo cluster's CDP disks hold 2 TiB + 1 TiB. */
const DISKS = 3n * TIB

function withQuota (tenant: string, quota: bigint): Topology {
  return {
    ...demoTopology,
    tenants: demoTopology.tenants.map((t) => t.uuid === tenant ? { ...t, cdp_quota: Number(quota) } : t)
  }
}

t.test('a tenant with a quota may reserve up to it, and not a byte more', async (t) => {
  const sim = openDemo(t, { topology: withQuota(DEMO.ken, TIB) })
  t.same(outcomes(await sim.edit(policy(TIB / 2n, 60n), [ref(DEMO.vol1)])), ['ok'])
  t.same(outcomes(await sim.edit(policy(TIB / 2n, 60n), [ref(DEMO.cdp1)])), ['ok'], 'exactly the quota')
  const [over] = await sim.edit(policy(TIB / 2n + 1n, 60n), [ref(DEMO.cdp1)])
  t.equal(over?.ok === false && over.error.code, 'TENANT_QUOTA_EXCEEDED', 'one byte past the quota')
  t.same(outcomes(await sim.edit(policy(TIB / 4n, 60n), [ref(DEMO.cdp1)])), ['ok'], 'shrinking is always allowed')
})

t.test('a quota refusal names only the tenant\'s own figures', async (t) => {
  const sim = openDemo(t, { topology: withQuota(DEMO.ken, TIB) })
  await sim.edit(policy(TIB, 60n), [ref(DEMO.vol1)])
  const [over] = await sim.edit(policy(GIB, 60n), [ref(DEMO.cdp1)])
  t.equal(over?.ok === false && over.error.desc, `tenant ${DEMO.ken} holds ${TIB} of its quota ${TIB}; ${GIB} more does not fit`)
})

t.test('another tenant cannot reserve what a quota sets aside', async (t) => {
  // ken's 1 TiB is set aside on the 2 TiB disk, leaving 1 TiB on each disk to the others.
  const sim = openDemo(t, { topology: withQuota(DEMO.ken, TIB) })
  const [tooMuch] = await sim.edit(policy(TIB + 1n, 60n), [ref(DEMO.linData, DEMO.lin)])
  t.equal(tooMuch?.ok === false && tooMuch.error.code, 'INSUFFICIENT_CDP_CAPACITY')
  t.same(outcomes(await sim.edit(policy(TIB, 60n), [ref(DEMO.linData, DEMO.lin)])), ['ok'])
  t.same(outcomes(await sim.edit(policy(TIB, 60n), [ref(DEMO.linVolume, DEMO.lin)])), ['ok'])
  const [none] = await sim.edit(policy(1n, 60n), [ref(DEMO.vol1, DEMO.lin)])
  t.equal(none?.ok === false && none.error.code, 'VOLUME_NOT_FOUND', 'lin cannot name ken\'s volume')
  t.same(outcomes(await sim.edit(policy(TIB, 60n), [ref(DEMO.vol1, DEMO.ken)])), ['ok'], 'ken still gets its whole quota')
  await sim.clean(ref(DEMO.vol1, DEMO.ken))
  t.same(outcomes(await sim.edit(policy(TIB, 60n), [ref(DEMO.cdp1, DEMO.ken)])), ['ok'], 'a cleaned CDP gives its part back to the share')
})

t.test('what another tenant may reserve does not depend on what a quota tenant holds', async (t) => {
  // lin bisects its largest admissible reserve_capacity; the answer must be the same
  // whatever ken holds of its quota, so lin learns nothing of it.
  const largestFor = async (kenHolds: bigint[]): Promise<bigint> => {
    const sim = openDemo(t, { topology: withQuota(DEMO.ken, TIB) })
    const kenVolumes = [DEMO.vol1, DEMO.cdp1]
    for (const [i, holds] of kenHolds.entries()) {
      if (holds > 0n) t.same(outcomes(await sim.edit(policy(holds, 60n), [ref(kenVolumes[i] as string, DEMO.ken)])), ['ok'])
    }
    let low = 0n
    let high = DISKS
    while (low < high) {
      const mid = (low + high + 1n) / 2n
      const [outcome] = await sim.edit(policy(mid, 60n), [ref(DEMO.linData, DEMO.lin)])
      if (outcome?.ok === true) low = mid
      else high = mid - 1n
    }
    await sim.close()
    return low
  }
  const alone = await largestFor([])
  await fc.assert(fc.asyncProperty(
    // Nothing, or a reservation of at least one block (the minimum reserve_capacity).
    fc.tuple(...[0, 1].map(() => fc.oneof(fc.constant(0n), fc.bigInt({ min: 4096n, max: TIB / 2n })))),
    async (holds) => { t.equal(await largestFor(holds), alone) }
  ), { numRuns: 20 })
})

t.test('a tenant without a quota keeps first come, first served', async (t) => {
  const sim = openDemo(t)
  t.same(outcomes(await sim.edit(policy(2n * TIB, 60n), [ref(DEMO.linData, DEMO.lin)])), ['ok'])
  const [rest] = await sim.edit(policy(TIB + 1n, 60n), [ref(DEMO.vol1, DEMO.ken)])
  t.equal(rest?.ok === false && rest.error.code, 'INSUFFICIENT_CDP_CAPACITY')
})

t.test('a topology whose quotas its CDP disks cannot keep is refused', async (t) => {
  const overPromised = {
    ...demoTopology,
    tenants: demoTopology.tenants.map((t) => ({ ...t, cdp_quota: Number(2n * TIB) }))
  }
  t.throws(() => parseTopology(overPromised, 'quotas.json'), /quotas\.json: the cdp_quota 2199023255552 of tenant .* fits on no CDP disk of cluster .* beside the other quotas/)
})
