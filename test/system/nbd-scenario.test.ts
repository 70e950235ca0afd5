// The issue's scenario with real tools against `npm start`'s entry (simulator, manual clock,
// NBD on a free port): nbdcopy a random image into a CDP volume, overwrite regions with
// qemu-io, note the time, write more; the view at that time, the image at it (raw and by
// digest) and, after a revert, the volume itself are all the saved image, byte for byte.
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { spawnApiServer } from '../helpers/api-server.js'
import { MiB, oneVolumeTopology, tool } from '../helpers/nbd.js'

const SIZE = 64 * MiB
const CLOCK_START = 1630053321000000000n

/** The image digest as docs/simulator.md documents it, from raw bytes. */
function digestOf (image: Buffer): string {
  const digest = createHash('sha256')
  const zero = Buffer.alloc(4096)
  const number = Buffer.alloc(8)
  for (let block = 0; block * 4096 < image.length; block++) {
    const bytes = image.subarray(block * 4096, (block + 1) * 4096)
    if (bytes.equals(zero)) continue
    number.writeBigUInt64BE(BigInt(block))
    digest.update(number).update(createHash('sha256').update(bytes).digest())
  }
  return digest.digest('hex')
}

t.test('a view at a noted time, the image at it, and a revert to it all read back as the saved image', async (t) => {
  const dir = t.testdir()
  const { path: topology, cluster, volume } = await oneVolumeTopology(dir, SIZE)
  const server = spawnApiServer(t, { CDP_SIM_CLOCK: 'manual', CDP_SIM_TOPOLOGY: topology, CDP_SIM_SNAPSHOT_INTERVAL: '1' })
  const base = await server.address
  t.not(base, '', server.stderr())
  const call = async <T = Record<string, string>>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number, data: T }> => {
    const res = await request(`${base}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
    })
    const json = await res.body.json() as { data: T }
    return { status: res.statusCode, data: json.data }
  }
  const raw = async (path: string, headers: Record<string, string> = {}): Promise<{ status: number, body: Buffer, headers: Record<string, unknown> }> => {
    const res = await request(`${base}${path}`, { headers })
    return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()), headers: res.headers }
  }
  const ref = { cluster_uuid: cluster, volume_uuid: volume }
  const B = '/v1/volume/internal/cdp'
  const S = `/sim/v1/volumes/${volume}`

  t.equal((await call('POST', `${B}/enable`, { volumes: [ref] })).status, 200)
  const facts = (await call<{ size: number, cdp_state: string, nbd_uri: string }>('GET', S)).data
  t.match(facts, { size: SIZE, cdp_state: 'on', nbd_uri: new RegExp(`^nbd://127\\.0\\.0\\.1:\\d+/volume/${volume}$`) })
  const info = JSON.parse(await tool('nbdinfo', ['--json', facts.nbd_uri])) as { exports: Array<{ 'export-size': number, is_read_only: boolean }> }
  t.match(info.exports[0], { 'export-size': SIZE, is_read_only: false })

  const image = randomBytes(SIZE)
  image.fill(0, 40 * MiB, 48 * MiB)
  await writeFile(join(dir, 'random.img'), image)
  await tool('nbdcopy', [join(dir, 'random.img'), facts.nbd_uri])
  await tool('qemu-io', ['-f', 'raw', '-c', 'write -P 0x55 1M 3M', '-c', 'write -P 0x55 60M 64k', facts.nbd_uri])
  image.fill(0x55, 1 * MiB, 4 * MiB)
  image.fill(0x55, 60 * MiB, 60 * MiB + 64 * 1024)
  await call('POST', '/sim/v1/clock/advance', { seconds: 2 })
  const noted = BigInt((await call('GET', '/sim/v1/clock')).data.now!)
  await writeFile(join(dir, 'saved.img'), image)
  await call('POST', '/sim/v1/clock/advance', { seconds: 1 })
  await tool('qemu-io', ['-f', 'raw', '-c', 'write -P 0xaa 0 8M', facts.nbd_uri])

  const point = { snapshot_name: `CDP-auto-${CLOCK_START / 1_000_000_000n}`, timestamp: noted.toString() }
  t.equal((await call('POST', `${B}/view`, { ...ref, op: 'on', ...point })).status, 200)
  const view = (await call<{ nbd_uri: string, time: string }>('GET', `${S}/view`)).data
  t.match(view, { time: noted.toString(), nbd_uri: new RegExp(`/view/${volume}$`) })
  t.match(await tool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', join(dir, 'saved.img'), view.nbd_uri]), /identical/, 'the view is the saved image')
  const viewInfo = JSON.parse(await tool('nbdinfo', ['--json', view.nbd_uri])) as { exports: Array<{ is_read_only: boolean }> }
  t.equal(viewInfo.exports[0]!.is_read_only, true)
  await t.rejects(tool('qemu-io', ['-f', 'raw', '-c', 'write -P 1 0 4k', view.nbd_uri]), 'the view takes no writes')

  t.ok((await raw(`${S}/image/raw?at=${noted}`)).body.equals(image), 'image/raw at the noted time is the saved image')
  t.ok((await raw(`${S}/view/raw`)).body.equals(image), 'view/raw is the saved image')
  t.equal((await call('GET', `${S}/image?at=${noted}`)).data.digest, digestOf(image), 'the digest is the documented one of the bytes')
  const part = await raw(`${S}/view/raw`, { range: 'bytes=1000-9999' })
  t.equal(part.status, 206)
  t.equal(part.headers['content-range'], `bytes 1000-9999/${SIZE}`)
  t.ok(part.body.equals(image.subarray(1000, 10000)), 'a range is those bytes')
  const bad = await raw(`${S}/view/raw`, { range: `bytes=${SIZE}-` })
  t.equal(bad.status, 416)
  t.match(JSON.parse(bad.body.toString()), { scode: 1040 })

  t.equal((await call('POST', `${B}/view`, { ...ref, op: 'off' })).status, 200)
  await t.rejects(tool('nbdinfo', [view.nbd_uri]), 'the view export is gone')
  t.equal((await call('GET', `${S}/view`)).status, 404)
  t.equal((await call('POST', `${B}/revert`, { ...ref, ...point })).status, 200)
  t.match(await tool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', join(dir, 'saved.img'), facts.nbd_uri]), /identical/, 'after the revert the volume is the saved image')
  await tool('nbdcopy', [facts.nbd_uri, join(dir, 'after.img')])
  t.ok((await readFile(join(dir, 'after.img'))).equals(image))
  t.equal((await call('GET', `${S}/image`)).data.digest, digestOf(image))
  server.child.kill('SIGTERM')
})
