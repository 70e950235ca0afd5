// The control API's block routes over one in-process simulator: a volume's and its view's
// facts with their NBD URIs, and images as raw bytes, whole or one HTTP Range, read in
// block-aligned chunks of 4 MiB whatever the range's alignment.
import { randomBytes } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { request } from 'undici'
import blockApi, { byteRange } from '../../simulator/block-api.js'
import { createHttpApp } from '../../src/http-app.js'
import type { NbdNames } from '../../simulator/control.js'
import type { Simulator } from '../../simulator/index.js'
import { parseExact } from '../../src/json.js'
import { Scode } from '../../src/errors.js'
import { DEMO } from '../helpers/demo.js'
import { advanceSeconds, openCdp1, pointAt, ref } from '../helpers/simulator.js'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
/** cdp-1 of the demo topology. */
const SIZE = 10 * GiB

/** Names every export volume/<uuid> or view/<uuid>; the view's only when `viewOn` says so. */
function fakeNbd (viewOn: () => boolean): NbdNames {
  return {
    exportName: (uuid, kind) => kind === 'view' && !viewOn() ? undefined : `${kind}/${uuid}`,
    uri: (name) => `nbd://127.0.0.1:10809/${name}`
  }
}

async function openBlockApi (t: Test, sim: Simulator, nbd?: NbdNames) {
  const app = createHttpApp()
  await app.register(blockApi, { prefix: '/sim/v1', control: sim, ...(nbd === undefined ? {} : { nbd }) })
  t.teardown(() => app.close())
  const get = async (path: string, range?: string) => {
    const res = await app.inject({ method: 'GET', url: `/sim/v1/volumes/${path}`, headers: range === undefined ? {} : { range } })
    return { status: res.statusCode, headers: res.headers, bytes: res.rawPayload, json: () => parseExact(res.body) as any }
  }
  return { app, get }
}

t.test('byteRange reads one bytes=first-last, bytes=first- or bytes=-suffix inside the size', async (t) => {
  const size = 10_000
  const cases: Array<[string | undefined, [number, number, boolean]]> = [
    [undefined, [0, size, false]],
    ['bytes=0-0', [0, 1, true]],
    ['bytes=10-19', [10, 20, true]],
    [' bytes=10-19 ', [10, 20, true]],
    ['bytes=9999-9999', [9999, 10_000, true]],
    ['bytes=9990-20000', [9990, 10_000, true]],
    ['bytes=9990-', [9990, 10_000, true]],
    ['bytes=0-', [0, 10_000, true]],
    ['bytes=-1', [9999, 10_000, true]],
    ['bytes=-10', [9990, 10_000, true]],
    ['bytes=-20000', [0, 10_000, true]]
  ]
  for (const [header, [first, end, partial]] of cases) {
    t.strictSame(byteRange(header, size), { first, end, partial }, String(header))
  }
  for (const header of ['bytes=-', 'bytes=10000-', 'bytes=10000-10001', 'bytes=20-10', 'bytes=-0', 'bytes=1-2,4-5', 'bites=1-2', 'bytes=a-b', 'xbytes=1-2', 'bytes=1-2x', '']) {
    t.throws(() => byteRange(header, size), { code: 'RANGE_NOT_SATISFIABLE', desc: header }, `${JSON.stringify(header)} is refused`)
  }
})

t.test('a raw image is the whole image (200) or the one range asked for (206), with its headers', async (t) => {
  const sim = await openCdp1(t)
  const data = randomBytes(3 * 4096)
  sim.write(DEMO.cdp1, [{ offset: 8192, data }])
  const { get } = await openBlockApi(t, sim)

  const part = await get(`${DEMO.cdp1}/image/raw`, 'bytes=8190-20485')
  t.equal(part.status, 206)
  t.equal(part.headers['content-range'], `bytes 8190-20485/${SIZE}`)
  t.equal(part.headers['content-length'], String(20486 - 8190))
  t.equal(part.headers['content-type'], 'application/octet-stream')
  t.equal(part.headers['accept-ranges'], 'bytes')
  t.ok(part.bytes.equals(Buffer.concat([Buffer.alloc(2), data, Buffer.alloc(6)])), 'the bytes, unaligned at both ends')

  const suffix = await get(`${DEMO.cdp1.toUpperCase()}/image/raw`, 'bytes=-3')
  t.equal(suffix.status, 206, 'a volume named in upper case')
  t.equal(suffix.headers['content-range'], `bytes ${SIZE - 3}-${SIZE - 1}/${SIZE}`)
  t.ok(suffix.bytes.equals(Buffer.alloc(3)))

  const refused = await get(`${DEMO.cdp1}/image/raw`, `bytes=${SIZE}-`)
  t.equal(refused.status, 416)
  t.equal(refused.headers['content-range'], `bytes */${SIZE}`, 'a 416 says how long the image is')
  t.match(refused.json(), { scode: Scode.RANGE_NOT_SATISFIABLE.scode, data: null })

  const missing = await get('00000000-0000-4000-8000-000000000000/image/raw', 'bytes=0-0')
  t.match([missing.status, missing.json()], [404, { scode: Scode.VOLUME_NOT_FOUND.scode }])
})

t.test('a whole raw image is 200 without content-range, and streams from its first byte', async (t) => {
  const sim = await openCdp1(t)
  const data = randomBytes(4096)
  sim.write(DEMO.cdp1, [{ offset: 0, data }])
  const { app } = await openBlockApi(t, sim)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  // 10 GiB is not read to its end: the headers and the first bytes, then the connection goes.
  const res = await request(`http://127.0.0.1:${port}/sim/v1/volumes/${DEMO.cdp1}/image/raw`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-range'], undefined)
  t.equal(res.headers['content-length'], String(SIZE))
  t.equal(res.headers['accept-ranges'], 'bytes')
  const chunks: Buffer[] = []
  for await (const chunk of res.body) {
    chunks.push(chunk as Buffer)
    if (Buffer.concat(chunks).length >= 8192) break
  }
  res.body.destroy()
  const head = Buffer.concat(chunks)
  t.ok(head.subarray(0, 4096).equals(data), 'the first block is the one written')
  t.ok(head.subarray(4096, 8192).equals(Buffer.alloc(4096)), 'the next is zeros')
})

t.test('a range across chunks, starting and ending inside blocks, reads the bytes written there', async (t) => {
  const sim = await openCdp1(t)
  // 9 MiB of random bytes from 1 MiB: the range below crosses two 4 MiB chunk boundaries.
  const data = randomBytes(9 * MiB)
  sim.write(DEMO.cdp1, [{ offset: MiB, data }])
  const { get } = await openBlockApi(t, sim)
  const [first, last] = [MiB + 4095, MiB + 9 * MiB - 4097]
  const res = await get(`${DEMO.cdp1}/image/raw`, `bytes=${first}-${last}`)
  t.equal(res.status, 206)
  t.equal(res.bytes.length, last - first + 1)
  t.ok(res.bytes.equals(data.subarray(first - MiB, last + 1 - MiB)), 'the same bytes')
})

t.test('an image at a past point is read from then; an unrecoverable point is an envelope error', async (t) => {
  const sim = await openCdp1(t)
  const before = sim.clock().now
  advanceSeconds(sim, 1)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 5 }])
  const { get } = await openBlockApi(t, sim)
  t.ok((await get(`${DEMO.cdp1}/image/raw`, 'bytes=0-9')).bytes.equals(Buffer.alloc(10, 5)), 'now: the write')
  t.ok((await get(`${DEMO.cdp1}/image/raw?at=${before}`, 'bytes=0-9')).bytes.equals(Buffer.alloc(10)), 'before it: zeros')
  const never = await get(`${DEMO.cdp1}/image/raw?at=1`, 'bytes=0-9')
  t.match([never.status, never.json()], [409, { scode: Scode.POINT_NOT_RECOVERABLE.scode, data: null }])
  t.equal(never.headers['content-type']?.toString().startsWith('application/json'), true, 'in the envelope, not bytes')
})

t.test('a volume\'s facts carry its NBD URI when NBD is on, null when off; an unknown one is VOLUME_NOT_FOUND', async (t) => {
  const sim = await openCdp1(t)
  const facts = sim.volumes().find((v) => v.uuid === DEMO.cdp1)
  const on = await openBlockApi(t, sim, fakeNbd(() => false))
  const answer = await on.get(DEMO.cdp1.toUpperCase())
  t.equal(answer.status, 200)
  t.strictSame(answer.json().data, { ...facts, nbd_uri: `nbd://127.0.0.1:10809/volume/${DEMO.cdp1}` }, 'in lower case, whatever the request\'s')
  const off = await openBlockApi(t, sim)
  t.strictSame((await off.get(DEMO.cdp1)).json().data, { ...facts, nbd_uri: null })
  const unknown = await on.get('00000000-0000-4000-8000-000000000000')
  t.match([unknown.status, unknown.json()], [404, { scode: Scode.VOLUME_NOT_FOUND.scode, data: null }])
})

t.test('the view\'s facts and raw bytes are the view\'s; with no view, VIEW_NOT_FOUND', async (t) => {
  const sim = await openCdp1(t)
  let viewing = false
  const { get } = await openBlockApi(t, sim, fakeNbd(() => viewing))
  t.match(await get(`${DEMO.cdp1}/view`), { status: 404 })
  t.match((await get(`${DEMO.cdp1}/view/raw`, 'bytes=0-0')).json(), { scode: Scode.VIEW_NOT_FOUND.scode, data: null })

  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  const then = sim.clock().now
  advanceSeconds(sim, 1)
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 2 }])
  const view = await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), then))
  viewing = true
  const facts = await get(`${DEMO.cdp1}/view`)
  t.equal(facts.status, 200)
  t.strictSame(facts.json().data, { ...sim.viewFacts(DEMO.cdp1), nbd_uri: `nbd://127.0.0.1:10809/view/${DEMO.cdp1}` })
  t.equal(facts.json().data.host_uuid, view.host_uuid)
  const raw = await get(`${DEMO.cdp1}/view/raw`, 'bytes=4094-4097')
  t.equal(raw.status, 206)
  t.ok(raw.bytes.equals(Buffer.from([1, 1, 0, 0])), 'the view shows the point it is of, not now')
  t.ok((await get(`${DEMO.cdp1}/image/raw`, 'bytes=4094-4097')).bytes.equals(Buffer.from([2, 2, 0, 0])), 'the volume shows now')
  viewing = false
  t.equal((await get(`${DEMO.cdp1}/view`)).json().data.nbd_uri, null, 'no export: null')
})

t.test('a volume uuid that is not a uuid is refused as a bad parameter on every block route', async (t) => {
  const sim = await openCdp1(t)
  const { get } = await openBlockApi(t, sim)
  for (const path of ['not-a-uuid', 'not-a-uuid/view', 'not-a-uuid/image/raw', 'not-a-uuid/view/raw']) {
    const res = await get(path)
    t.match([res.status, res.json()], [400, { scode: Scode.INVALID_UUID.scode, desc: 'volume_uuid must be a uuid', data: null }], path)
  }
})

t.test('a raw image\'s at must be a uint64, and a refusal names it', async (t) => {
  const sim = await openCdp1(t)
  const { get } = await openBlockApi(t, sim)
  const cases: Array<[string, string]> = [
    ['abc', 'at must be an unsigned 64-bit integer (JSON integer or decimal string)'],
    ['-1', 'at must be an unsigned 64-bit integer (JSON integer or decimal string)'],
    ['18446744073709551616', 'at exceeds 2^64-1']
  ]
  for (const [at, desc] of cases) {
    const res = await get(`${DEMO.cdp1}/image/raw?at=${at}`, 'bytes=0-0')
    t.match([res.status, res.json()], [400, { scode: Scode.INVALID_UINT64.scode, desc, data: null }], at)
  }
})
