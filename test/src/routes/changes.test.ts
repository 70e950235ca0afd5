// GET /changes through the HTTP app: merged byte extents in offset order, a block rewritten to
// its old content left out, pages chained by an opaque token, uint64 ns exact, bad input and
// tenancy; and a property: over random histories, the extents are exactly the byte diff of
// the two images, computed here from the writes the test made (no simulator code).
import fc from 'fast-check'
import t from 'tap'
import { Scode } from '../../../src/errors.js'
import { CDP, DEMO, SECOND, call, openTestApp, volume } from '../../helpers/app.js'

const BLOCK = 4096
const changesOf = (uuid: string, query: string) => `${CDP}/changes?cluster_uuid=${DEMO.cluster}&volume_uuid=${uuid}&${query}`

async function allPages (app: Parameters<typeof call>[0], uuid: string, from: bigint, to: bigint, pageSize: number) {
  const extents: Array<{ offset: number, length: number }> = []
  let token = ''
  let pages = 0
  do {
    const { status, body } = await call(app, 'GET', changesOf(uuid, `from=${from}&to=${to}&page_size=${pageSize}&page_token=${token}`))
    if (status !== 200) throw new Error(`page ${pages}: ${status} ${JSON.stringify(body)}`)
    if (body.data.extents.length > pageSize) throw new Error(`page ${pages} has ${body.data.extents.length} extents`)
    extents.push(...body.data.extents)
    token = body.data.next_page_token
    pages++
  } while (token !== '')
  return { extents, pages }
}

t.test('extents are merged, in bytes, in offset order; a block rewritten to its old content is left out', async (t) => {
  const { app, sim } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  const from = sim.write(DEMO.cdp1, [{ offset: 0, length: 4 * BLOCK, fill: 1 }]).time
  sim.advance(SECOND)
  sim.write(DEMO.cdp1, [{ offset: 10 * BLOCK, length: 2 * BLOCK, fill: 2 }, { offset: 2 * BLOCK, length: 3 * BLOCK, fill: 5 }])
  sim.write(DEMO.cdp1, [{ offset: 0, length: BLOCK, fill: 9 }])
  sim.write(DEMO.cdp1, [{ offset: 0, length: BLOCK, fill: 1 }])
  const to = sim.advance(SECOND)
  const { status, body } = await call(app, 'GET', changesOf(DEMO.cdp1, `from=${from}&to=${to}`))
  t.equal(status, 200)
  t.same(body.data, { extents: [{ offset: 2 * BLOCK, length: 3 * BLOCK }, { offset: 10 * BLOCK, length: 2 * BLOCK }], next_page_token: '' })
  t.same((await call(app, 'GET', changesOf(DEMO.cdp1, `from=${to}&to=${to}`))).body.data.extents, [], 'a point against itself')
  t.ok(from > 2n ** 53n, 'the ns times are above 2^53, so they travelled exactly')
  const first = await call(app, 'GET', changesOf(DEMO.cdp1, `from=${from}&to=${to}&page_size=1`))
  t.same(first.body.data.extents, [{ offset: 2 * BLOCK, length: 3 * BLOCK }])
  const second = await call(app, 'GET', changesOf(DEMO.cdp1, `from=${from}&to=${to}&page_size=1&page_token=${first.body.data.next_page_token}`))
  t.same(second.body.data, { extents: [{ offset: 10 * BLOCK, length: 2 * BLOCK }], next_page_token: '' })
  const elsewhere = await call(app, 'GET', changesOf(DEMO.cdp1, `from=${from + 1n}&to=${to}&page_token=${first.body.data.next_page_token}`))
  t.match(elsewhere, { status: 400, body: { scode: Scode.INVALID_PAGE_TOKEN.scode } }, 'a token is for the query that issued it')
})

t.test('bad input is a clear 4xx: from after to, a point outside the window, not a number, a forged token', async (t) => {
  const { app, sim } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  const from = sim.write(DEMO.cdp1, [{ offset: 0, length: BLOCK, fill: 1 }]).time
  const to = sim.advance(SECOND)
  for (const [query, status, scode] of [
    [`from=${to}&to=${from}`, 400, Scode.CHANGES_FROM_AFTER_TO],
    [`from=1&to=${to}`, 409, Scode.POINT_NOT_RECOVERABLE],
    [`from=${from}&to=${to + SECOND}`, 409, Scode.POINT_NOT_RECOVERABLE],
    [`from=soon&to=${to}`, 400, Scode.INVALID_UINT64],
    [`from=${from}&to=18446744073709551616`, 400, Scode.INVALID_UINT64],
    [`from=${from}`, 400, Scode.MISSING_PARAMETER],
    [`from=${from}&to=${to}&page_size=-1`, 400, Scode.INVALID_PARAMETER],
    [`from=${from}&to=${to}&page_size=10001`, 400, Scode.INVALID_PARAMETER],
    [`from=${from}&to=${to}&page_size=many`, 400, Scode.INVALID_PARAMETER],
    [`from=${from}&to=${to}&page_token=bm90LWEtdG9rZW4`, 400, Scode.INVALID_PAGE_TOKEN],
    [`from=${from}&to=${to}&tenant=${DEMO.lin}`, 404, Scode.VOLUME_NOT_FOUND]
  ] as const) {
    t.match(await call(app, 'GET', changesOf(DEMO.cdp1, query)), { status, body: { scode: scode.scode, data: null } }, query)
  }
  t.match(await call(app, 'GET', changesOf(DEMO.vol1, `from=${from}&to=${to}`)), { status: 404, body: { scode: Scode.CDP_NOT_FOUND.scode } })
})

t.test('a typed client\'s zero values (page_size=0, page_token=, tenant=) get the first page of the default size', async (t) => {
  const { app, sim } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
  const from = sim.write(DEMO.cdp1, [{ offset: 0, length: BLOCK, fill: 1 }]).time
  sim.advance(SECOND)
  // 1,001 separate extents: one more than the default page holds.
  sim.write(DEMO.cdp1, Array.from({ length: 1001 }, (_, i) => ({ offset: 2 * i * BLOCK, length: BLOCK, fill: 2 })))
  const to = sim.advance(SECOND)
  const minimal = await call(app, 'GET', changesOf(DEMO.cdp1, `from=${from}&to=${to}`))
  const typed = await call(app, 'GET', changesOf(DEMO.cdp1, `from=${from}&to=${to}&page_size=0&page_token=&tenant=`))
  t.equal(minimal.body.data.extents.length, 1000, 'the default page')
  t.not(minimal.body.data.next_page_token, '', 'with a next page')
  t.strictSame(typed, minimal, 'the same answer')
})

/** One call's writes: `count` blocks from `first`, each filled with `fill` (0: zeros). */
interface Write { first: number, count: number, fill: number, gap: number }
const BLOCKS = 24

/** The test's own image at `time`: per block, the fill of its newest write at or before it. */
function imageAt (writes: Array<Write & { time: bigint }>, time: bigint): Buffer {
  const image = Buffer.alloc(BLOCKS * BLOCK)
  for (const w of writes) if (w.time <= time) image.fill(w.fill, w.first * BLOCK, (w.first + w.count) * BLOCK)
  return image
}

/** The byte diff of two images as merged extents, block by block. */
function diff (a: Buffer, b: Buffer): Array<{ offset: number, length: number }> {
  const extents: Array<{ offset: number, length: number }> = []
  for (let offset = 0; offset < a.length; offset += BLOCK) {
    if (a.subarray(offset, offset + BLOCK).equals(b.subarray(offset, offset + BLOCK))) continue
    const last = extents.at(-1)
    if (last !== undefined && last.offset + last.length === offset) last.length += BLOCK
    else extents.push({ offset, length: BLOCK })
  }
  return extents
}

const seed = Number(process.env.CHANGES_SEED ?? Math.floor(Math.random() * 2 ** 31))

t.test(`changes is the byte diff of the two images, paged any way (seed ${seed}, CHANGES_SEED=${seed} replays)`, async (t) => {
  const { app, sim } = await openTestApp(t)
  const write = fc.record({ first: fc.integer({ min: 0, max: BLOCKS - 4 }), count: fc.integer({ min: 1, max: 4 }), fill: fc.integer({ min: 0, max: 3 }), gap: fc.integer({ min: 0, max: 3 }) })
  const history = fc.record({
    writes: fc.array(write, { minLength: 1, maxLength: 25 }),
    points: fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 999_999_999 })),
    pageSize: fc.integer({ min: 1, max: 4 })
  })
  await t.resolves(fc.assert(fc.asyncProperty(history, async ({ writes, points: [i, j, past], pageSize }) => {
    sim.reset()
    await call(app, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.cdp1)] })
    const made = writes.map((w) => {
      const time = sim.write(DEMO.cdp1, [{ offset: w.first * BLOCK, length: w.count * BLOCK, fill: w.fill }]).time
      sim.advance(BigInt(w.gap) * SECOND)
      return { ...w, time }
    })
    const now = sim.advance(0n)
    // Two points among the writes' times, the later one some ns after its write (clipped to now).
    const [a, b] = [i % made.length, j % made.length].sort((x, y) => x - y) as [number, number]
    const from = made[a]?.time as bigint
    const later = (made[b]?.time as bigint) + BigInt(past)
    const to = later > now ? now : later
    const { extents } = await allPages(app, DEMO.cdp1, from, to, pageSize)
    const expected = diff(imageAt(made, from), imageAt(made, to))
    if (JSON.stringify(extents) !== JSON.stringify(expected)) throw new Error(`from ${from} to ${to}: ${JSON.stringify(extents)} but the images differ at ${JSON.stringify(expected)}`)
  }), { seed, numRuns: 40 }))
})
