// A full disk under the simulator's database, on a real small file system (a 8 MiB tmpfs
// mounted for the test, so it runs as root, as CI does): writes are refused with
// STORAGE_FULL (507) and change nothing, /readyz says why, and once space returns both
// recover by themselves, with every acknowledged write still there after a restart.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { loadTopology, openSimulator } from '../../simulator/index.js'
import { spawnApiServer } from '../helpers/api-server.js'
import { CDP, DEMO, DEMO_TOPOLOGY, type Teardown, callHttp, volume } from '../helpers/app.js'
import { freeBytes, mountSmallDisk, SMALL_DISK_SKIP } from '../helpers/small-disk.js'

const MIB = 1024 * 1024
/** Each write fills 4 MiB of the volume: 1,024 journal rows, tens of KiB of database. */
const WRITE_BYTES = 4 * MIB

interface Write { offset: number, length: number, fill: number }

function writeNumber (i: number): Write {
  return { offset: i * WRITE_BYTES, length: WRITE_BYTES, fill: (i % 255) + 1 }
}

/** The live digest an empty simulator reaches after exactly these acknowledged writes. */
function expectedDigest (acknowledged: Write[]): string {
  const sim = openSimulator({ db: ':memory:', topology: loadTopology(DEMO_TOPOLOGY), clock: { mode: 'manual' } })
  void sim.enable([{ cluster_uuid: DEMO.cluster, volume_uuid: DEMO.vol1 }])
  for (const write of acknowledged) sim.write(DEMO.vol1, [write])
  const { digest } = sim.image(DEMO.vol1)
  void sim.close()
  return digest
}

async function startServer (t: Teardown, db: string): Promise<{ base: string, stop: () => Promise<void> }> {
  const server = spawnApiServer(t, { CDP_SIM_DB: db, CDP_SIM_CLOCK: 'manual' })
  const base = await server.address
  if (base === '') throw new Error(`the server did not start: ${server.stderr()}`)
  const stop = async (): Promise<void> => {
    const exited = new Promise((resolve) => server.child.once('exit', resolve))
    server.child.kill('SIGTERM')
    await exited
  }
  return { base, stop }
}

t.test('a full disk refuses writes with STORAGE_FULL, turns /readyz 503, and recovers by itself', { skip: SMALL_DISK_SKIP }, async (t) => {
  const mount = mountSmallDisk(t, '8m')
  const db = join(mount, 'sim.db')
  let server = await startServer(t, db)
  t.equal((await callHttp(server.base, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.vol1)] })).body.data.success, 1)

  // Leave about 1 MiB free, then write until the disk refuses.
  const filler = join(mount, 'filler')
  writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(mount) - MIB)))
  const acknowledged: Write[] = []
  let refused: { status: number, body: { scode: number, data: unknown } } | undefined
  for (let i = 0; i < 2000 && refused === undefined; i++) {
    const write = writeNumber(i)
    const answer = await callHttp(server.base, 'POST', `/sim/v1/volumes/${DEMO.vol1}/writes`, { writes: [write] })
    if (answer.status === 200) acknowledged.push(write)
    else refused = answer
  }
  t.ok(acknowledged.length > 0, `${acknowledged.length} writes acknowledged before the disk filled`)
  t.match(refused, { status: 507, body: { scode: 5020, data: null } }, 'the refused write is STORAGE_FULL')

  const ready = await callHttp(server.base, 'GET', '/readyz')
  t.equal(ready.status, 503)
  t.match(ready.body.desc, /storage full/)
  t.equal((await callHttp(server.base, 'GET', '/healthz')).status, 200, 'the process is still up')
  const again = await callHttp(server.base, 'POST', `/sim/v1/volumes/${DEMO.vol1}/writes`, { writes: [writeNumber(acknowledged.length)] })
  t.equal(again.status, 507, 'the same write is still refused while the disk is full')
  t.equal((await callHttp(server.base, 'GET', `/sim/v1/volumes/${DEMO.vol1}/image`)).body.data.digest, expectedDigest(acknowledged),
    'a refused write changed nothing')

  // Space returns: /readyz and writes recover with no restart.
  rmSync(filler)
  const freedAt = process.hrtime.bigint()
  let polls = 0
  while ((await callHttp(server.base, 'GET', '/readyz')).status !== 200 && polls < 100) {
    polls++
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  t.ok(polls < 100, 'ready again once space returned')
  t.comment(`ready ${Number(process.hrtime.bigint() - freedAt) / 1e6} ms after space returned (${polls} polls 50 ms apart)`)
  const after = writeNumber(acknowledged.length + 1)
  t.equal((await callHttp(server.base, 'POST', `/sim/v1/volumes/${DEMO.vol1}/writes`, { writes: [after] })).status, 200)
  acknowledged.push(after)

  // Every acknowledged write survives a restart on the same file.
  await server.stop()
  server = await startServer(t, db)
  t.equal((await callHttp(server.base, 'GET', `/sim/v1/volumes/${DEMO.vol1}/image`)).body.data.digest, expectedDigest(acknowledged),
    `all ${acknowledged.length} acknowledged writes are in the image after a restart`)
  await server.stop()
})

t.test('a database that cannot be opened names CDP_SIM_DB and the path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-baddb-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const notADatabase = join(dir, 'junk.db')
  writeFileSync(notADatabase, 'this is not a database, just text long enough to be read as a header')
  for (const path of [join(dir, 'missing', 'sim.db'), notADatabase]) {
    const server = spawnApiServer(t, { CDP_SIM_DB: path })
    t.equal(await server.address, '', 'it does not start')
    t.match(server.stderr(), `invalid configuration: CDP_SIM_DB (${path}): cannot open the simulator database ${path}:`)
  }
})
