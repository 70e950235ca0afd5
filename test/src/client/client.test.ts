// The official client (volume-cdp/client) against a listening server: the whole CDP
// scenario with ns times as bigint both ways and no precision lost, failures as typed
// CdpErrors, the bearer token, request ids and timeouts.
import { createServer, type Socket } from 'node:net'
import { Type } from '@sinclair/typebox'
import t from 'tap'
import { CdpClient, CdpError, CdpRequestError } from '../../../src/client/index.js'
import { Uint64 } from '../../../src/schemas/common.js'
import { wire } from '../../../src/schemas/wire.js'
import { DEMO, openTestApp, volume, type Teardown } from '../../helpers/app.js'

const cdp1 = volume(DEMO.cdp1, { tenant: DEMO.ken })
/** Not a whole second, and above 2^53: a float64 would round it to a multiple of 256. */
const START = 1630057893506590075n
const TOKEN = 'client-test-token-0123456789'

const Written = wire(Type.Object({ time: Uint64('') }))
const Image = wire(Type.Object({ digest: Type.String(), time: Uint64('') }))

async function listening (t: Teardown, tokens?: Array<{ token: string }>) {
  const { app } = await openTestApp(t, { clockStart: START, app: tokens === undefined ? {} : { tokens } })
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  return baseUrl
}

t.test('the full scenario: enable, writes, info, view at an exact ns from info, view off, revert, clean', async (t) => {
  const client = new CdpClient({ baseUrl: await listening(t) })
  const write = async (fill: number) => (await client.call({ method: 'POST', path: `/sim/v1/volumes/${DEMO.cdp1}/writes`, body: { writes: [{ offset: 0, length: 4096, fill }] } }, Written)).time
  const image = async (at?: bigint) => (await client.call({ method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}/image`, query: { at } }, Image)).digest

  const enabled = await client.enable([cdp1])
  t.equal(enabled.success, 1)
  t.equal(enabled.results[0]?.data.volume_uuid, DEMO.cdp1)

  // Two writes 1 ns apart: only an exact timestamp tells them apart.
  const first = await write(1)
  await client.call({ method: 'POST', path: '/sim/v1/clock/advance', body: { nanoseconds: 1n } })
  const second = await write(2)
  t.equal(second, first + 1n, 'writes one ns apart')

  const info = await client.info(cdp1)
  const segment = info.cdp_info[0]
  t.ok(segment !== undefined, 'one segment')
  if (segment === undefined) return
  t.equal(segment.ioLastTime, second, 'ioLastTime read back exactly, as bigint')
  t.equal(typeof segment.seq, 'bigint')
  const snap = segment.snaps[0]
  t.equal(snap?.time, START, 'the base snapshot at the enable time, exactly')

  const point = { snapshot_name: snap?.name ?? '', timestamp: first }
  const on = await client.viewOn(cdp1, point)
  t.strictSame(on, { cdp_info: null, host_uuid: DEMO.host1 })
  const viewed = await client.call({ method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}/view/image` }, Image)
  t.equal(viewed.time, first, 'the view is at exactly the ns sent')
  t.equal(viewed.digest, await image(first))
  t.not(viewed.digest, await image(second), 'not at the ns after it')

  await t.rejects(client.revert(cdp1, point), { code: 'VIEW_IS_ON', status: 409 }, 'revert waits for the view to go')
  await client.viewOff(cdp1)
  await client.revert(cdp1, point)
  t.equal(await image(), await image(first), 'the volume is back at the first write')

  t.equal((await client.disable([cdp1])).success, 1)
  await client.clean(cdp1)
  await t.rejects(client.info(cdp1), { name: 'CdpError', code: 'CDP_NOT_FOUND', scode: 3003, status: 404 })
  const listed = await client.list({ cluster_uuid: DEMO.cluster })
  t.notOk(listed.List.some((item) => item.volume_uuid === DEMO.cdp1), 'cleaned volumes leave the list')
})

t.test('edit sends bigint sizes exactly and list answers them as bigint', async (t) => {
  const client = new CdpClient({ baseUrl: await listening(t) })
  const capacity = 2n ** 60n + 4096n
  const edited = await client.edit({ cdp_priority: 'high', reserve_capacity: capacity, reserve_duration: 86400n }, [cdp1])
  // The demo's CDP disks cannot hold 2^60 bytes: refused per volume, the volume named.
  t.equal(edited.fail, 1)
  t.equal(edited.results[0]?.scode, 4009)
  const ok = await client.edit({ cdp_priority: 'high', reserve_capacity: 32212254720n, reserve_duration: 86400n }, [cdp1])
  t.equal(ok.success, 1)
  const { List } = await client.list({ cluster_uuid: DEMO.cluster, filter_name: 'cdp-1', page_num: 0, page_size: 10 })
  t.strictSame(List.map((item) => [item.volume_uuid, item.reserve_capacity, item.reserve_duration, item.cdp_priority]), [[DEMO.cdp1, 32212254720n, 86400n, 'high']])
})

t.test('a bearer token is sent; without it the answer is a typed UNAUTHORIZED carrying the request id', async (t) => {
  const baseUrl = await listening(t, [{ token: TOKEN }])
  t.equal((await new CdpClient({ baseUrl, token: TOKEN }).info(volume(DEMO.cdp1)).catch((err: unknown) => err) as CdpError).code, 'CDP_NOT_FOUND', 'authenticated')
  const err = await new CdpClient({ baseUrl }).info(volume(DEMO.cdp1), { requestId: 'console-42' }).catch((e: unknown) => e)
  t.ok(err instanceof CdpError)
  t.match(err, { code: 'UNAUTHORIZED', scode: 2001, status: 401, requestId: 'console-42', message: /^scode 2001 missing or invalid bearer token/ })
})

t.test('a server that never answers is a timeout; a closed port is unreachable', async (t) => {
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy()
    silent.close(resolve)
  }))
  const { port } = silent.address() as { port: number }
  const slow = await new CdpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 200 }).info(cdp1).catch((e: unknown) => e)
  t.ok(slow instanceof CdpRequestError)
  t.match(slow, { kind: 'timeout' })

  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const closedPort = (closed.address() as { port: number }).port
  await new Promise((resolve) => closed.close(resolve))
  t.match(await new CdpClient({ baseUrl: `http://127.0.0.1:${closedPort}` }).info(cdp1).catch((e: unknown) => e), { name: 'CdpRequestError', kind: 'unreachable' })
})
