// Secret export names end to end: `npm start`'s entry as a process with API tokens and NBD on
// a free port. A global token learns the volume's and the view's NBD URI (each name carrying
// a secret); the real tools open those and nothing else; NBD_OPT_LIST shows nothing; a
// tenant token is refused the calls that reveal them.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import { spawnApiServer } from '../../helpers/api-server.js'
import { parseLossless } from '../../helpers/app.js'
import { MiB, oneVolumeTopology, tool } from '../../helpers/nbd.js'

const SIZE = 8 * MiB
const GLOBAL = 'global-token-0123456789'
const TENANT = 'tenant-token-0123456789'

interface Info { exports: Array<{ 'export-name': string, 'export-size': number, is_read_only: boolean }> }

t.test('with tokens, only the secret names a global token is shown open the exports', async (t) => {
  const dir = t.testdir()
  const { path: topology, cluster, volume } = await oneVolumeTopology(dir, SIZE)
  const { tenant } = (JSON.parse(await readFile(topology, 'utf8')) as { volumes: Array<{ tenant: string }> }).volumes[0]!
  await writeFile(join(dir, 'tokens.json'), JSON.stringify({ tokens: [{ token: GLOBAL, name: 'ops' }, { token: TENANT, tenant, name: 'tenant' }] }))
  const server = spawnApiServer(t, { CDP_SIM_CLOCK: 'manual', CDP_SIM_TOPOLOGY: topology, CDP_AUTH_TOKENS_FILE: join(dir, 'tokens.json') })
  const base = await server.address
  t.not(base, '', server.stderr())
  const call = async (token: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number, body: any }> => {
    const res = await request(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) })
    })
    return { status: res.statusCode, body: parseLossless(await res.body.text()) }
  }
  const S = `/sim/v1/volumes/${volume}`
  const B = '/v1/volume/internal/cdp'
  const ref = { cluster_uuid: cluster, volume_uuid: volume }

  const facts = await call(GLOBAL, 'GET', S)
  t.equal(facts.status, 200)
  const volumeUri = facts.body.data.nbd_uri as string
  const match = new RegExp(`^(nbd://127\\.0\\.0\\.1:\\d+)/volume/${volume}/([0-9a-f]{32})$`).exec(volumeUri)
  t.ok(match, `a secret in ${volumeUri}`)
  const [, nbd, secret] = match ?? ['', '', '']

  // Real bytes in through the secret name, with CDP on so that a view can be taken.
  t.equal((await call(GLOBAL, 'POST', `${B}/enable`, { volumes: [ref] })).status, 200)
  const image = randomBytes(SIZE)
  await writeFile(join(dir, 'in.img'), image)
  await tool('nbdcopy', [join(dir, 'in.img'), volumeUri])
  t.equal((await call(GLOBAL, 'POST', '/sim/v1/clock/advance', { seconds: 1 })).status, 200)
  const now = (await call(GLOBAL, 'GET', '/sim/v1/clock')).body.data.now as bigint
  const on = await call(GLOBAL, 'POST', `${B}/view`, { ...ref, op: 'on', snapshot_name: 'CDP-auto-1630053321', timestamp: String(now) })
  t.equal(on.status, 200, String(on.body.desc))

  const view = await call(GLOBAL, 'GET', `${S}/view`)
  t.equal(view.status, 200)
  const viewUri = view.body.data.nbd_uri as string
  t.match(viewUri, new RegExp(`^${nbd}/view/${volume}/[0-9a-f]{32}$`))
  t.not(viewUri.slice(-32), secret, 'each export has its own secret')
  const info = JSON.parse(await tool('nbdinfo', ['--json', viewUri])) as Info
  t.match(info.exports[0], { 'export-size': SIZE, is_read_only: true })
  await tool('nbdcopy', [viewUri, join(dir, 'view.img')])
  t.ok((await readFile(join(dir, 'view.img'))).equals(image), 'the view reads back the bytes written')

  for (const name of [`volume/${volume}`, `view/${volume}`, `volume/${volume}/${'0'.repeat(32)}`, `volume/${volume}/${secret.slice(0, 31)}`, `view/${volume}/${secret}`]) {
    await t.rejects(tool('nbdinfo', [`${nbd}/${name}`]), `${name} is refused`)
  }
  const listed = JSON.parse(await tool('nbdinfo', ['--list', '--json', `${nbd}/`])) as Info
  t.same(listed.exports, [], 'NBD_OPT_LIST reveals nothing')

  for (const path of [S, `${S}/view`]) {
    const refused = await call(TENANT, 'GET', path)
    t.equal(refused.status, 403, `a tenant token may not read ${path}`)
    t.equal(refused.body.scode, 2003)
    t.notMatch(JSON.stringify(refused.body), /nbd:/)
  }
  t.equal((await call('not-a-token-at-all', 'GET', S)).status, 401)
})
