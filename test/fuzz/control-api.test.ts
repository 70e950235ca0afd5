// Fuzzing the simulator's control API (/sim/v1/…): every route the OpenAPI document lists,
// requests built from their schemas and mutated; every answer a 2xx/4xx envelope, and a
// refused request changes nothing.
import t from 'tap'
import { openFuzzApp } from '../helpers/fuzz-app.js'
import { FUZZ_SEED } from '../helpers/fuzz.js'

const SIM = '/sim/v1'
const RUNS_PER_ENDPOINT = Number(process.env.FUZZ_RUNS ?? 300)
const ROUTES = [
  'GET /clock', 'GET /volumes/{volume_uuid}/image', 'GET /volumes/{volume_uuid}/recoverable', 'GET /volumes/{volume_uuid}/view/image',
  'POST /clock/advance', 'POST /hosts/{host_uuid}/state', 'POST /vms/{vm_uuid}/state', 'POST /volumes/{volume_uuid}/writes'
]

t.test('the OpenAPI document lists the control API\'s eight routes', async (t) => {
  const { endpoints } = await openFuzzApp(t)
  t.same(endpoints(SIM).map((e) => `${e.method} ${e.path.slice(SIM.length)}`).sort(), ROUTES)
})

for (const route of ROUTES) {
  t.test(`fuzz ${route}: ${RUNS_PER_ENDPOINT} requests, each a 2xx/4xx envelope, refused ones change nothing (seed ${FUZZ_SEED}, FUZZ_SEED=${FUZZ_SEED} replays)`, async (t) => {
    const { endpoints, fuzz } = await openFuzzApp(t)
    const endpoint = endpoints(SIM).find((e) => `${e.method} ${e.path.slice(SIM.length)}` === route)
    if (endpoint === undefined) throw new Error(`no ${route} in the OpenAPI document`)
    const tally = await fuzz(endpoint, RUNS_PER_ENDPOINT)
    t.ok(tally.cases >= RUNS_PER_ENDPOINT, `${route}: ${tally.cases} cases, ${tally.refused} refused, ${tally.accepted} accepted`)
  })
}
