// What fuzzing found, minimised, kept as plain cases: each was a 500 or a refused request
// that changed state.
import t from 'tap'
import { loadTopology } from '../../../simulator/index.js'
import { CDP, DEMO, DEMO_TOPOLOGY, call, openTestApp, volume } from '../../helpers/app.js'
import { stateFingerprint } from '../../helpers/fingerprint.js'

const topology = loadTopology(DEMO_TOPOLOGY)
const INT64_MAX = (1n << 63n) - 1n

t.test('advancing the clock past 2^63-1 ns is a 400 and changes nothing (was a 500 from SQLite\'s int64 bind)', async (t) => {
  const { app, sim } = await openTestApp(t)
  await sim.enable([volume(DEMO.cdp1)])
  const before = await stateFingerprint(sim, topology)
  const past = await call(app, 'POST', '/sim/v1/clock/advance', { nanoseconds: (INT64_MAX - sim.clock().now + 1n).toString() })
  t.equal(past.status, 400)
  t.equal(past.body.scode, 1002)
  t.equal(await stateFingerprint(sim, topology), before, 'nothing changed')
})

t.test('a clock within a snapshot interval of 2^63-1 ns keeps answering (was a 500: the next auto snapshot overflowed int64)', async (t) => {
  const { app, sim } = await openTestApp(t)
  await sim.enable([volume(DEMO.cdp1)])
  // A few ns short of the end: each change below needs a ns of its own.
  const to = await call(app, 'POST', '/sim/v1/clock/advance', { nanoseconds: (INT64_MAX - 10n - sim.clock().now).toString() })
  t.equal(to.status, 200)
  t.equal(to.body.data.now, INT64_MAX - 10n)
  const write = await call(app, 'POST', `/sim/v1/volumes/${DEMO.cdp1}/writes`, { writes: [{ offset: 0, length: 4096, fill: 1 }] })
  t.equal(write.status, 200)
  const cycle = [
    await call(app, 'POST', `${CDP}/disable`, { volumes: [volume(DEMO.cdp1)] }),
    await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1), volume(DEMO.vol1)] })
  ]
  t.same(cycle.map((a) => [a.status, a.body.data.fail]), [[200, 0], [200, 0]])
  const info = await call(app, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`)
  t.equal(info.status, 200)
})

t.test('clean with a usd_seq past 2^63-1 is SEGMENT_NOT_FOUND and changes nothing (was a 500 from SQLite\'s int64 bind)', async (t) => {
  const { app, sim } = await openTestApp(t)
  await sim.enable([volume(DEMO.cdp1)])
  const before = await stateFingerprint(sim, topology)
  for (const usdSeq of ['9223372036854775808', '18446744073709551615']) {
    const clean = await call(app, 'POST', `${CDP}/clean`, { ...volume(DEMO.cdp1), usd_seq: usdSeq })
    t.equal(clean.status, 404, `usd_seq ${usdSeq}`)
    t.equal(clean.body.scode, 3004)
  }
  t.equal(await stateFingerprint(sim, topology), before, 'nothing changed')
})

t.test('a query number that overflows to Infinity (1e400) is a 400 naming the field (was a 500: Ajv coerced and passed it)', async (t) => {
  const { app } = await openTestApp(t)
  for (const [query, field, why] of [
    ['page_size=1e400', 'page_size', 'must be an integer in decimal digits'],
    ['page_num=-1e400&page_size=10', 'page_num', 'must be an integer in decimal digits'],
    [`page_size=1${'0'.repeat(400)}`, 'page_size', 'must be a finite number']
  ] as const) {
    const answer = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&${query}`)
    t.equal(answer.status, 400, query.slice(0, 40))
    t.same([answer.body.scode, answer.body.desc], [1002, `${field} ${why}`])
  }
  // Issue 10: a querystring integer is decimal digits only, so the exponent form is refused too.
  const exponent = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_size=1e1`)
  t.equal(exponent.status, 400, 'an exponent form is not decimal digits')
})
