// One full scenario through a real listening server on 127.0.0.1 with a real HTTP client,
// answers parsed losslessly: what a console or another team's integration test does.
import t from 'tap'
import { request } from 'undici'
import { CDP, DEMO, openTestApp, parseLossless, stringifyLossless, volume } from '../helpers/app.js'

t.test('enable, write, view and revert at exact ns times, undo, clean, over HTTP', async (t) => {
  const { app } = await openTestApp(t)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  t.match(base, /^http:\/\/127\.0\.0\.1:\d+$/)
  const http = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await request(`${base}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: stringifyLossless(body) })
    })
    const answer = parseLossless(await res.body.text()) as { scode: number, data: any }
    t.equal(res.statusCode, 200, `${method} ${path}`)
    t.equal(answer.scode, 0, `${method} ${path}: success`)
    return answer.data
  }
  const cdp1 = volume(DEMO.cdp1, { tenant: DEMO.ken })
  const infoPath = `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`
  const write = (fill: number) => http('POST', `/sim/v1/volumes/${DEMO.cdp1}/writes`, { writes: [{ offset: 0, length: 4096, fill }] })
  const image = (at?: bigint) => http('GET', `/sim/v1/volumes/${DEMO.cdp1}/image${at === undefined ? '' : `?at=${at}`}`)

  await http('POST', `${CDP}/enable`, { volumes: [cdp1], cluster_uuid: DEMO.cluster })
  await write(1)
  await http('POST', '/sim/v1/clock/advance', { nanoseconds: 1_500_000_001 })
  const chosen = (await write(2)).time as bigint
  await http('POST', '/sim/v1/clock/advance', { seconds: 3 })
  await write(3)
  await http('POST', '/sim/v1/clock/advance', { seconds: 1 })

  const info = await http('GET', infoPath)
  const base0 = info.cdp_info[0].snaps[0]
  t.equal(typeof chosen, 'bigint', 'a time above 2^53 read exactly')

  t.equal((await http('POST', `${CDP}/view`, { ...cdp1, op: 'on', snapshot_name: base0.name, timestamp: chosen })).host_uuid, DEMO.host1)
  const viewed = await http('GET', `/sim/v1/volumes/${DEMO.cdp1}/view/image`)
  t.strictSame(viewed, await image(chosen), 'view image = image at that exact ns')
  await http('POST', `${CDP}/view`, { ...cdp1, op: 'off' })

  const latest = await image()
  const revertedAt = latest.time as bigint
  await http('POST', `${CDP}/revert`, { ...cdp1, snapshot_name: base0.name, timestamp: chosen })
  t.equal((await image()).digest, (await image(chosen)).digest, 'after revert the volume is the image at that time')
  await http('POST', '/sim/v1/clock/advance', { seconds: 1 })
  await http('POST', `${CDP}/revert`, { ...cdp1, snapshot_name: base0.name, timestamp: revertedAt - 1n })
  t.equal((await image()).digest, latest.digest, 'revert undone')

  await http('POST', `${CDP}/disable`, { volumes: [cdp1] })
  await http('POST', `${CDP}/enable`, { volumes: [cdp1] })
  const seqs = (await http('GET', infoPath)).cdp_info.map((s: { seq: number }) => s.seq)
  t.strictSame(seqs, [0, 1], 'a second segment after re-enable')
  await http('POST', `${CDP}/clean`, { ...cdp1, usd_seq: 0 })
  t.strictSame((await http('GET', infoPath)).cdp_info.map((s: { seq: number }) => s.seq), [1], 'segment 0 cleaned')
  await http('POST', `${CDP}/disable`, { volumes: [cdp1] })
  await http('POST', `${CDP}/clean`, cdp1)
  const list = await http('GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&tenant=${DEMO.ken}`)
  t.equal(list.TotalCount, 0, 'no CDP left')
})
