// Fuzzing the simulator's control API (/sim/v1/…) with its harness calls: every route of the
// table below, requests built from their OpenAPI schemas and mutated; every answer a 2xx/4xx
// envelope whose HTTP status the scode table of test/helpers/fuzz.ts gives (never a 5xx), or
// for a raw image its bytes, and a refused request changes nothing.
import fc from 'fast-check'
import t from 'tap'
import { openFuzzApp } from '../../helpers/fuzz-app.js'
import { FUZZ_SEED, type FuzzOptions } from '../../helpers/fuzz.js'

const SIM = '/sim/v1'
const RUNS_PER_ENDPOINT = Number(process.env.FUZZ_RUNS ?? 300)
/** The harness calls that replace or copy the whole state cost more a case: fewer of them. */
const RUNS_PER_HARNESS_CALL = Math.ceil(RUNS_PER_ENDPOINT / 3)

/** A raw image is asked a block range (or a bad one, 416): never a whole 10 GiB volume. */
const RAW: FuzzOptions = {
  binary: 'application/octet-stream',
  headers: fc.record({ range: fc.constantFrom('bytes=0-4095', 'bytes=4096-16383', 'bytes=0-0', 'bytes=9-2', 'bytes=x-y', 'bytes=0-4095,8192-12287', 'items=0-1') })
}

const ROUTES: Array<{ route: string, runs: number, options?: FuzzOptions }> = [
  ...['GET /clock', 'GET /volumes/{volume_uuid}/image', 'GET /volumes/{volume_uuid}/recoverable', 'GET /volumes/{volume_uuid}/view/image',
    'POST /clock/advance', 'POST /hosts/{host_uuid}/state', 'POST /hosts/{host_uuid}/disks', 'POST /vms/{vm_uuid}/state', 'POST /volumes/{volume_uuid}/writes',
    'GET /volumes/{volume_uuid}', 'GET /volumes/{volume_uuid}/view',
    'POST /faults', 'GET /faults', 'DELETE /faults', 'DELETE /faults/{id}', 'POST /snapshots'].map((route) => ({ route, runs: RUNS_PER_ENDPOINT })),
  { route: 'GET /volumes/{volume_uuid}/image/raw', runs: RUNS_PER_ENDPOINT, options: RAW },
  { route: 'GET /volumes/{volume_uuid}/view/raw', runs: RUNS_PER_ENDPOINT, options: RAW },
  { route: 'POST /reset', runs: RUNS_PER_HARNESS_CALL },
  { route: 'GET /state', runs: RUNS_PER_HARNESS_CALL, options: { binary: 'application/vnd.sqlite3' } },
  // the fuzzer sometimes changes the method: a GET of this path is the state file
  { route: 'PUT /state', runs: RUNS_PER_HARNESS_CALL, options: { binary: 'application/vnd.sqlite3' } }
]

t.test('the OpenAPI document lists every route of /sim/v1, and each is fuzzed', async (t) => {
  const { endpoints } = await openFuzzApp(t)
  const listed = endpoints(SIM).map((e) => `${e.method} ${e.path.slice(SIM.length)}`).sort()
  t.same(listed, ROUTES.map((r) => r.route).sort(), 'the table and the document agree')
})

for (const { route, runs, options } of ROUTES) {
  t.test(`fuzz ${route}: ${runs} requests, each a 2xx/4xx envelope, refused ones change nothing (seed ${FUZZ_SEED}, FUZZ_SEED=${FUZZ_SEED} replays)`, async (t) => {
    const { endpoints, fuzz } = await openFuzzApp(t)
    const endpoint = endpoints(SIM).find((e) => `${e.method} ${e.path.slice(SIM.length)}` === route)
    if (endpoint === undefined) throw new Error(`no ${route} in the OpenAPI document`)
    const tally = await fuzz(endpoint, runs, options)
    t.ok(tally.cases >= runs, `${route}: ${tally.cases} cases, ${tally.refused} refused, ${tally.accepted} accepted`)
  })
}
