// `cdp-sim agent --nbd-port 0`: the agent serves every volume as an NBD export on loopback,
// and its /sim/v1 names the export's URI; without the option there is no NBD.
import t from 'tap'
import { DEMO } from '../helpers/app.js'
import { startAgent } from '../helpers/cdp-sim.js'
import { tool } from '../helpers/nbd.js'

t.test('with --nbd-port, a volume\'s nbd_uri opens in nbdinfo at the volume\'s size', async (t) => {
  const agent = await startAgent(t, ['--nbd-port', '0'])
  const facts = await agent.get(`/sim/v1/volumes/${DEMO.kenVolume}`)
  t.equal(facts.status, 200)
  const { nbd_uri: uri, size } = facts.body.data as { nbd_uri: string, size: number }
  t.match(uri, new RegExp(`^nbd://127\\.0\\.0\\.1:\\d+/volume/${DEMO.kenVolume}$`))
  t.equal(Number(await tool('nbdinfo', ['--size', uri])), size)
  t.equal(await agent.stop(), 0)
})

t.test('without --nbd-port, nbd_uri is null', async (t) => {
  const agent = await startAgent(t)
  t.equal((await agent.get(`/sim/v1/volumes/${DEMO.kenVolume}`)).body.data.nbd_uri, null)
  t.equal(await agent.stop(), 0)
})
