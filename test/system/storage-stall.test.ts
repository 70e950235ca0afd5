// A storage stall under the simulator's database: the small ext4 file system (on a loop
// device, so it runs as root, as CI does) that holds it is frozen with fsfreeze for 3 s while
// a write is under way. The write waits in the worker thread; /healthz keeps answering on the
// main thread and /readyz says the simulator is busy; once thawed, the write is acknowledged
// and in the image.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildSimulatorApp, loadTopology, openWorkerHarness } from '../../simulator/index.js'
import { CDP, DEMO, DEMO_TOPOLOGY, callHttp, volume } from '../helpers/app.js'

const FROZEN_MS = 3000

function canLoopMount (): true | string {
  if (process.getuid?.() !== 0) return 'a loop mount and fsfreeze need root'
  try {
    execFileSync('losetup', ['-f'], { stdio: 'pipe' })
    execFileSync('which', ['fsfreeze', 'mkfs.ext4'], { stdio: 'pipe' })
  } catch {
    return 'no free loop device, or fsfreeze/mkfs.ext4 missing'
  }
  return true
}

const can = canLoopMount()
t.test('a 3 s fsfreeze under the database holds up a write, never /healthz', { skip: can === true ? false : can }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-stall-'))
  const image = join(dir, 'fs.img')
  const mount = join(dir, 'mnt')
  execFileSync('truncate', ['-s', '32M', image])
  execFileSync('mkfs.ext4', ['-q', '-F', image])
  execFileSync('mkdir', [mount])
  execFileSync('mount', ['-o', 'loop', image, mount])
  let frozen = false
  // Thawing a file system that is not frozen (the guard below got there first) is refused: no matter.
  const thaw = (): void => {
    if (frozen) execFileSync('sh', ['-c', `fsfreeze -u '${mount}' 2>/dev/null || true`])
    frozen = false
  }
  t.teardown(() => {
    thaw()
    execFileSync('umount', [mount])
    rmSync(dir, { recursive: true, force: true })
  })
  const harness = await openWorkerHarness({ db: join(mount, 'sim.db'), topology: loadTopology(DEMO_TOPOLOGY), clock: { mode: 'manual' } }, { readyWithinMs: 500 })
  const app = await buildSimulatorApp(harness)
  t.teardown(async () => {
    thaw()
    await app.close()
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  t.equal((await callHttp(base, 'POST', `${CDP}/enable`, { volumes: [volume(DEMO.vol1)] })).body.data.success, 1)

  const before = (await callHttp(base, 'GET', `/sim/v1/volumes/${DEMO.vol1}/image`)).body.data.digest
  // Should this test die while the disk is frozen, a detached guard thaws it 60 s on.
  const guard = spawn('sh', ['-c', `sleep 60; fsfreeze -u '${mount}' 2>/dev/null`], { detached: true, stdio: 'ignore' })
  guard.unref()
  t.teardown(() => { guard.kill() })
  execFileSync('fsfreeze', ['-f', mount])
  frozen = true
  const frozenAt = Date.now()
  const thawedAt = frozenAt + FROZEN_MS
  let answeredAt = 0
  const write = callHttp(base, 'POST', `/sim/v1/volumes/${DEMO.vol1}/writes`, { writes: [{ offset: 0, length: 1 << 20, fill: 9 }] })
    .then((answer) => { answeredAt = Date.now(); return answer })
  const health: number[] = []
  while (Date.now() < thawedAt) {
    const health0 = Date.now()
    t.equal((await callHttp(base, 'GET', '/healthz')).status, 200)
    health.push(Date.now() - health0)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.equal(answeredAt, 0, 'the write has not been answered while the disk is frozen')
  t.match(await callHttp(base, 'GET', '/readyz'), { status: 503, body: { scode: 5050 } }, '/readyz: the simulator is busy')
  t.ok(health.length >= 10, `/healthz answered ${health.length} times while frozen, slowest ${Math.max(...health)} ms`)
  t.comment(`frozen for ${Date.now() - frozenAt} ms`)
  thaw()
  t.match(await write, { status: 200, body: { scode: 0 } }, 'the write is acknowledged once thawed')
  t.equal((await callHttp(base, 'GET', '/readyz')).status, 200)
  t.not((await callHttp(base, 'GET', `/sim/v1/volumes/${DEMO.vol1}/image`)).body.data.digest, before, 'the acknowledged write is in the image')
})
