// Fuzzing the eight CDP endpoints: requests built from their schemas and mutated; every
// answer a 2xx/4xx envelope consistent with the scode catalogue, and a refused request
// changes nothing (test/helpers/fuzz.ts has the generators and the checks).
import t from 'tap'
import { CDP } from '../../helpers/app.js'
import { openFuzzApp } from '../../helpers/fuzz-app.js'
import { FUZZ_SEED } from '../../helpers/fuzz.js'

// 400 a run keeps npm test inside its budget; each run draws a new seed, FUZZ_RUNS goes deeper.
const RUNS_PER_ENDPOINT = Number(process.env.FUZZ_RUNS ?? 400)

// The extensions (window, events) have tests of their own; the spec's eight are fuzzed here.
t.test('the OpenAPI document lists the eight CDP endpoints', async (t) => {
  const { endpoints } = await openFuzzApp(t)
  const listed = endpoints(CDP).map((e) => `${e.method} ${e.path.slice(CDP.length)}`)
  t.same(['GET /info', 'GET /list', 'POST /clean', 'POST /disable', 'POST /edit', 'POST /enable', 'POST /revert', 'POST /view'].filter((e) => !listed.includes(e)), [])
})

for (const name of ['edit', 'enable', 'disable', 'list', 'info', 'clean', 'view', 'revert']) {
  t.test(`fuzz ${name}: ${RUNS_PER_ENDPOINT} requests, each a 2xx/4xx envelope, refused ones change nothing (seed ${FUZZ_SEED}, FUZZ_SEED=${FUZZ_SEED} replays)`, async (t) => {
    const { endpoints, fuzz } = await openFuzzApp(t)
    const endpoint = endpoints(CDP).find((e) => e.path === `${CDP}/${name}`)
    if (endpoint === undefined) throw new Error(`no ${name} in the OpenAPI document`)
    const tally = await fuzz(endpoint, RUNS_PER_ENDPOINT)
    t.ok(tally.cases >= RUNS_PER_ENDPOINT, `${name}: ${tally.cases} cases, ${tally.refused} refused, ${tally.accepted} accepted`)
  })
}
