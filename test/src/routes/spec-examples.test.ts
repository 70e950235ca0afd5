// The spec's own examples, replayed in the spec's order against the demo topology on a
// manual clock starting at the example's cdp_create_time, each answer compared with the
// documented one: the whole shape, and every value that is not a time. Where a step needs
// history, it is made through the simulator's knobs before the step. One scenario, run in
// both modes: the API over the in-process simulator, and the API in agent mode over a
// `cdp-sim agent` process (its knobs through its /sim/v1).
import t from 'tap'
import { demoOn, openAgentApp } from '../../helpers/agent-app.js'
import { openTestApp } from '../../helpers/app.js'
import { startAgent } from '../../helpers/cdp-sim.js'
import { httpControl, inProcessControl } from '../backend/conformance/control.js'
import { injected, replay } from '../../helpers/spec-replay.js'

t.test('the spec examples replay in order with their documented answers', async (t) => {
  const { app, sim } = await openTestApp(t)
  await replay(t, injected(app), inProcessControl(sim))
})

t.test('in agent mode, through a cdp-sim agent process, the replay gives the same answers', async (t) => {
  const agent = await startAgent(t, ['--clock', 'manual'])
  await replay(t, injected(await openAgentApp(t, demoOn(agent.url))), httpControl(agent.url))
})
