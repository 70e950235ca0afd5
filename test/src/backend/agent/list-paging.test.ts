// Long lists through the simulator's agent server on a real loopback socket: the API asks
// for them in pages (`offset`), and what comes back is exactly the simulator's own list;
// an offset that is not a whole number of pages is honoured as well.
import t from 'tap'
import { buildAgentServer } from '../../../../simulator/agent-server.js'
import { LIST_PAGE_ITEMS } from '../../../../src/backend/agent/answer-limits.js'
import { createAgentBackend } from '../../../../src/backend/agent/backend.js'
import { AGENT_PREFIX } from '../../../../src/backend/agent/protocol.js'
import { call, type Teardown } from '../../../helpers/app.js'
import { benchSimulator } from '../../../bench/sim-setup.js'

const VOLUMES = 2 * LIST_PAGE_ITEMS + 345

async function agentOver (t: Teardown) {
  const { sim, cluster } = await benchSimulator(VOLUMES)
  const app = await buildAgentServer({ simulator: sim })
  t.teardown(() => app.close())
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { sim, cluster, app, url }
}

t.test(`page_size 0 over ${VOLUMES} volumes: the paged answer is the simulator's list, item for item`, async (t) => {
  const { sim, cluster, url } = await agentOver(t)
  const backend = createAgentBackend({ routes: [{ cluster_uuid: cluster, urls: [url] }], timeoutMs: 10_000, retries: 0, concurrency: 1 })
  t.teardown(() => backend.close())
  const all = await backend.list({ cluster_uuid: cluster, page_num: 0, page_size: 0 })
  const direct = await sim.list({ cluster_uuid: cluster, page_num: 0, page_size: 0 })
  t.equal(all.List.length, VOLUMES)
  t.strictSame(all.List, direct.List)
  t.equal(all.TotalCount, VOLUMES)
  const deep = await backend.list({ cluster_uuid: cluster, page_num: 3, page_size: 600 })
  t.strictSame(deep.List, direct.List.slice(1800, 2345), 'a deep page, cut from three pages')
})

t.test('the agent honours any offset, whole pages or not', async (t) => {
  const { sim, cluster, app } = await agentOver(t)
  const names = (await sim.list({ cluster_uuid: cluster, page_num: 0, page_size: 0 })).List.map((item) => item.volume_name)
  const page = async (offset: number, limit: number) =>
    ((await call(app, 'POST', `${AGENT_PREFIX}/list`, { cluster_uuid: cluster, limit, offset })).body.data.items as Array<{ volume_name: string }>)
      .map((item) => item.volume_name)
  t.strictSame(await page(10, 5), names.slice(10, 15), 'a whole number of pages')
  t.strictSame(await page(7, 5), names.slice(7, 12), 'not a whole number of pages')
  t.strictSame(await page(2300, 0), names.slice(2300), 'limit 0: everything after the offset')
  t.strictSame(await page(VOLUMES + 5, 10), [], 'past the end')
})
