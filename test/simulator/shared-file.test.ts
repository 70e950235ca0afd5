// Several processes on one database file: the first to open a new file seeds it, the others
// find it seeded; none fails on the race.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import t from 'tap'
import { openSimulator } from '../../simulator/index.js'
import { DEMO, demoTopology } from '../helpers/demo.js'
import { bareNode } from '../helpers/node-child.js'

t.test('processes opening one new database file at once all start, and it is seeded once', async (t) => {
  const dir = t.testdir({})
  for (let round = 0; round < 4; round++) {
    const db = join(dir, `race-${round}.db`)
    const children = Array.from({ length: 3 }, () => spawn(...bareNode(['--import', 'tsx', 'test/helpers/open-race.ts', db]), { stdio: ['ignore', 'ignore', 'pipe'] }))
    t.teardown(() => { for (const child of children) if (child.exitCode === null) child.kill('SIGKILL') })
    const codes = await Promise.all(children.map(async (child) => (await once(child, 'exit'))[0]))
    t.same(codes, [0, 0, 0], `round ${round}: every process opened the file`)
    const sim = openSimulator({ db, topology: demoTopology, clock: { mode: 'manual' } })
    const list = await sim.list({ cluster_uuid: DEMO.cluster, page_num: 0, page_size: 0 })
    t.equal(list.each_range_list_state.length, 2, 'the topology is there once')
    await sim.close()
  }
})
