// `volume-cdp/testing` as another team's suite uses it: imported by the package's name (its
// "exports"), a simulator started on a free loopback port, driven through client and control,
// reset between tests; and importable by plain node, with no loader and no build step.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { startSimulator, RemoteError } from 'volume-cdp/testing'
import { DEMO, volume } from '../helpers/app.js'
import { bareNode } from '../helpers/node-child.js'

const START = 1630053321000000000n

t.test('a test written with startSimulator: enable, write, view the past, fault, reset', async (t) => {
  const sim = await startSimulator()
  t.teardown(sim.close)
  t.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  const { client, control } = sim
  t.equal((await client.post('/enable', { volumes: [volume(DEMO.cdp1)] })).success, 1)
  const first = await control.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  await control.advance({ seconds: 60 })
  await control.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 2 }])
  const then = await control.image(DEMO.cdp1, first.time)
  const view = await client.post('/view', { ...volume(DEMO.cdp1), op: 'on', snapshot_name: 'CDP-auto-1630053321', timestamp: first.time })
  t.equal(view.host_uuid, DEMO.host1)
  t.equal((await control.image(DEMO.cdp1)).digest === then.digest, false, 'the live image moved on')
  const info = await client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 })
  t.equal(info.host_uuid, DEMO.host1)

  const rule = await control.addFault({ operation: 'info', probability: 1, count: 1, scode: 5002 })
  await t.rejects(client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }), RemoteError)
  t.match(await control.faults(), [{ id: rule.id, fired: 1 }])

  const saved = await control.saveState()
  await sim.reset()
  t.strictSame(await control.clock(), { now: START, mode: 'manual' })
  t.equal((await client.get('/list', { cluster_uuid: DEMO.cluster })).TotalCount, 0)
  await control.loadState(saved)
  t.equal((await client.get('/info', { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 })).host_uuid, DEMO.host1, 'the saved state is back')
})

t.test('plain node imports volume-cdp/testing right after npm ci (no loader, no build)', async (t) => {
  const script = "const { startSimulator } = await import('volume-cdp/testing'); const s = await startSimulator(); console.log((await s.control.clock()).mode); await s.close()"
  const { stdout } = await promisify(execFile)(...bareNode(['--input-type=module', '-e', script]))
  t.equal(stdout, 'manual\n')
})
