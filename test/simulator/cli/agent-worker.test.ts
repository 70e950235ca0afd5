// `cdp-sim agent` runs its simulator in a worker thread, as npm start does: when that thread
// dies, the agent exits 1 with the reason on stderr, for a supervisor to restart it (a file
// of its own: the process is the point, and one is started).
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { startAgent } from '../../helpers/cdp-sim.js'

const WORKER_KILLER = fileURLToPath(new URL('../../helpers/worker-killer.ts', import.meta.url))

t.test('an agent whose simulator worker thread dies exits 1 and says why', async (t) => {
  const agent = await startAgent(t, ['--clock', 'manual'], [WORKER_KILLER])
  // A call the simulator answers: the worker the killer will end is the one it went to.
  t.equal((await agent.get('/sim/v1/clock')).body.data.mode, 'manual')
  t.equal(await agent.stop('SIGUSR2'), 1, 'not 0: a supervisor sees it stop')
  t.match(agent.stderr(), /the simulator's worker thread stopped \(the simulator worker thread exited \(code 1\)\); exiting/)
})
