// `cdp-sim agent --nbd-port 0`: the agent serves every volume as an NBD export on loopback,
// and its /sim/v1 names the export's URI; without the option there is no NBD.
import t from 'tap'
import { DEMO } from '../../helpers/app.js'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { cdpSim, startAgent } from '../../helpers/cdp-sim.js'
import { MiB, oneVolumeTopology, tool } from '../../helpers/nbd.js'

t.test('with --nbd-port, a volume\'s nbd_uri opens in nbdinfo at the volume\'s size', async (t) => {
  const agent = await startAgent(t, ['--nbd-port', '0'])
  const facts = await agent.get(`/sim/v1/volumes/${DEMO.kenVolume}`)
  t.equal(facts.status, 200)
  const { nbd_uri: uri, size } = facts.body.data as { nbd_uri: string, size: number }
  t.match(uri, new RegExp(`^nbd://127\\.0\\.0\\.1:\\d+/volume/${DEMO.kenVolume}$`))
  t.equal(Number(await tool('nbdinfo', ['--size', uri])), size)
  t.equal(await agent.stop(), 0)
})

t.test('cdp-sim image downloads the image bytes, now and at a past point', async (t) => {
  const dir = t.testdir()
  const { path, volume } = await oneVolumeTopology(dir, 1 * MiB)
  const agent = await startAgent(t, ['--topology', path, '--clock', 'manual'])
  const first = await agent.post(`/sim/v1/volumes/${volume}/writes`, { writes: [{ offset: 8192, length: 4096, fill: 7 }] })
  await agent.post('/sim/v1/clock/advance', { seconds: 1 })
  await agent.post(`/sim/v1/volumes/${volume}/writes`, { writes: [{ offset: 8192, length: 4096, fill: 9 }] })
  const now = await cdpSim(t, ['image', volume, '-o', join(dir, 'now.img'), '--url', agent.url])
  t.equal(now.code, 0, now.stderr)
  t.match(now.stdout, `${MiB} bytes written`)
  const expected = Buffer.alloc(MiB)
  expected.fill(9, 8192, 12288)
  t.ok((await readFile(join(dir, 'now.img'))).equals(expected))
  // CDP is off, so the past is not recoverable: the command says so and fails.
  const past = await cdpSim(t, ['image', volume, '--at', String(first.body.data.time), '-o', join(dir, 'past.img'), '--url', agent.url])
  t.not(past.code, 0)
  t.match(past.stderr, /CDP|recoverable|3003/)
  t.equal(await agent.stop(), 0)
})

t.test('without --nbd-port, nbd_uri is null', async (t) => {
  const agent = await startAgent(t)
  t.equal((await agent.get(`/sim/v1/volumes/${DEMO.kenVolume}`)).body.data.nbd_uri, null)
  t.equal(await agent.stop(), 0)
})
