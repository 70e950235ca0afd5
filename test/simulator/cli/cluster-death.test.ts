// `cdp-sim cluster` as a process whose agent dies: the cluster stops the other agent and
// exits 1 (a file of its own: process start-ups are what a test of the cluster costs).
import { join } from 'node:path'
import t from 'tap'
import { startServing, tempDir } from '../../helpers/cdp-sim.js'
import { CONTROL_LINE, pidsWith, printed, refuses } from '../../helpers/cdp-sim-cluster.js'

t.test('an agent that dies stops the others, and the cluster exits 1', async (t) => {
  const db = join(tempDir(t, 'cdp-cluster-'), 'cluster.db')
  const cluster = await startServing(t, ['cluster', '--agents', '2', '--port', '0', '--db', db], CONTROL_LINE)
  t.teardown(() => { for (const pid of pidsWith(db)) process.kill(pid, 'SIGKILL') })
  const { agents } = printed(cluster.before)
  const [victim] = pidsWith(db).filter((pid) => pid !== cluster.child.pid)
  process.kill(victim as number, 'SIGKILL')
  const [code] = await new Promise<[number | null]>((resolve) => { cluster.child.once('exit', (c) => { resolve([c]) }) })
  t.equal(code, 1, 'exit 1')
  for (const url of agents) t.ok(await refuses(url), `${url} is stopped`)
  t.strictSame(pidsWith(db), [], 'no agent process is left')
})
