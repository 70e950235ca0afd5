// The conformance suite against AgentBackend, over loopback, to a real `cdp-sim agent`
// process per scenario (the production client against the simulator serving the agent
// protocol); the simulator's knobs are turned through that process's /sim/v1.
import t from 'tap'
import { createAgentBackend } from '../../../../src/backend/agent/backend.js'
import { DEMO } from '../../../helpers/app.js'
import { startAgent } from '../../../helpers/cdp-sim.js'
import { httpControl } from './control.js'
import { conformance } from './suite.js'

conformance(t, async (t, topology) => {
  const agent = await startAgent(t, ['--clock', 'manual', '--snapshot-interval', '60', ...(topology === undefined ? [] : ['--topology', topology])])
  const backend = createAgentBackend({
    routes: [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }],
    timeoutMs: 10_000,
    retries: 2,
    concurrency: 8
  })
  t.teardown(() => backend.close())
  return { backend, control: httpControl(agent.url) }
})
