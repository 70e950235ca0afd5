// cdp-sim as a real child process, started the way npm's bin link starts it
// (bin/cdp-sim.js), on 127.0.0.1 with a free port: help, bad options, the agent serving
// and stopping, state kept in a file across a restart, and --namespace.
import { join } from 'node:path'
import t from 'tap'
import { SECOND } from '../helpers/app.js'
import { cdpSim, startAgent } from '../helpers/cdp-sim.js'
import { ref } from '../helpers/simulator.js'
import { DEMO } from '../helpers/demo.js'

const AGENT_OPTIONS = ['--host', '--port', '--topology', '--db', '--clock', '--clock-start', '--snapshot-interval', '--namespace', '--log-level', '--help']

t.test('--help describes every option of agent, however it is asked for', async (t) => {
  for (const args of [['agent', '--help'], ['agent', '-h'], ['help', 'agent'], ['--help'], ['help']]) {
    const { code, stdout, stderr } = await cdpSim(t, args)
    t.equal(code, 0, `cdp-sim ${args.join(' ')} exits 0`)
    t.equal(stderr, '')
    for (const option of AGENT_OPTIONS) t.match(stdout, new RegExp(`^ +(-h, )?${option}\\b`, 'm'), `${args.join(' ')} lists ${option}`)
  }
  t.match((await cdpSim(t, ['--help'])).stdout, /^ +agent +Serve the node agent protocol/m, 'the overview lists the commands')
})

t.test('a bad command, option or value exits non-zero with one line on stderr', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /^cdp-sim: missing command/],
    [['launch'], /^cdp-sim: unknown command "launch"/],
    [['help', 'launch'], /^cdp-sim: unknown command "launch"/],
    [['agent', '--bogus'], /^cdp-sim agent: unknown option --bogus/],
    [['agent', '--port'], /^cdp-sim agent: .*--port/],
    [['agent', '--port', '70000'], /^cdp-sim agent: --port must be a whole number from 0 to 65535, not "70000"/],
    [['agent', '--port', 'abc'], /^cdp-sim agent: --port must be/],
    [['agent', '--clock', 'fast'], /^cdp-sim agent: --clock must be one of real, manual, not "fast"/],
    [['agent', '--clock-start', '5'], /^cdp-sim agent: --clock-start needs --clock manual/],
    [['agent', '--clock', 'manual', '--clock-start=-1'], /^cdp-sim agent: --clock-start must be an unsigned 64-bit integer/],
    [['agent', '--clock', 'manual', '--clock-start', '-1'], /^cdp-sim agent: Option '--clock-start' argument is ambiguous/],
    [['agent', '--snapshot-interval', '0'], /^cdp-sim agent: --snapshot-interval must be a whole number from 1 up/],
    [['agent', '--log-level', 'loud'], /^cdp-sim agent: --log-level must be one of/],
    [['agent', 'extra'], /^cdp-sim agent: Unexpected argument 'extra'/],
    [['agent', '--port', '0', '--namespace', '00000000-0000-4000-8000-000000000000'], /^cdp-sim agent: unknown namespace 00000000-0000-4000-8000-000000000000$/],
    [['agent', '--port', '0', '--topology', 'fixtures/no-such-topology.json'], /^cdp-sim agent: invalid configuration: --topology \(fixtures\/no-such-topology.json\): cannot read it: ENOENT/]
  ]
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await cdpSim(t, args)
    const what = `cdp-sim ${args.join(' ')}`
    t.not(code, 0, `${what} exits non-zero`)
    t.equal(stdout, '', `${what} prints nothing on stdout`)
    t.equal(stderr.split('\n').filter((line) => line !== '').length, 1, `${what}: one line`)
    t.match(stderr.trim(), message, `${what}: ${stderr.trim()}`)
  }
})

t.test('agent answers the agent protocol and the control API, and SIGTERM stops it with 0', async (t) => {
  const agent = await startAgent(t, ['--clock', 'manual', '--clock-start', '1630057893506590075'])
  const health = await agent.post('/agent/v1/health', {})
  t.strictSame(health, { status: 200, body: { scode: 0, message: 'success', message_cn: '成功', desc: '', stack: null, data: { protocol: 1, features: ['uint64-strings', 'list-after'] } } })
  t.strictSame((await agent.get('/sim/v1/clock')).body.data, { now: 1630057893506590075n, mode: 'manual' }, 'ns exact over the wire')
  t.equal((await agent.post('/agent/v1/enable', { volumes: [ref(DEMO.cdp1)] })).body.data.results[0].scode, 0)
  t.equal(await agent.stop('SIGTERM'), 0)
})

t.test('SIGINT stops it with 0 too', async (t) => {
  const agent = await startAgent(t)
  t.equal((await agent.post('/agent/v1/health', {})).status, 200)
  t.equal(await agent.stop('SIGINT'), 0)
})

t.test('a file --db keeps CDP state and the manual clock across a restart', async (t) => {
  const db = join(t.testdir(), 'agent.db')
  const first = await startAgent(t, ['--db', db, '--clock', 'manual'])
  await first.post('/agent/v1/enable', { volumes: [ref(DEMO.cdp1)] })
  const advanced = (await first.post('/sim/v1/clock/advance', { seconds: 60 })).body.data.now
  t.equal(await first.stop(), 0)

  const second = await startAgent(t, ['--db', db, '--clock', 'manual'])
  t.equal((await second.get('/sim/v1/clock')).body.data.now, advanced, 'the clock did not move back')
  const list = await second.post('/agent/v1/list', { cluster_uuid: DEMO.cluster, limit: 0 })
  t.match(list.body.data.items, [{ volume_uuid: DEMO.cdp1, cdp_state: 'on' }], 'CDP is still on')
  const info = await second.post('/agent/v1/info', { volume: ref(DEMO.cdp1) })
  t.equal(info.body.data.cdp_info[0].startTime, advanced - 60n * SECOND, 'the journal is still there')
  t.equal(await second.stop(), 0)
})

t.test('--namespace serves only that namespace and its volumes', async (t) => {
  const agent = await startAgent(t, ['--namespace', DEMO.linNamespace])
  t.equal((await agent.post('/agent/v1/enable', { volumes: [ref(DEMO.linVolume)] })).body.data.results[0].scode, 0)
  const list = await agent.post('/agent/v1/list', { cluster_uuid: DEMO.cluster, limit: 0 })
  t.strictSame(list.body.data.ranges, [{ namespace_uuid: DEMO.linNamespace, total_count: 1 }], 'one range: lin\'s')
  t.strictSame(list.body.data.items.map((i: { volume_uuid: string }) => i.volume_uuid), [DEMO.linVolume])
  const ken = await agent.post('/agent/v1/info', { volume: ref(DEMO.cdp1) })
  t.strictSame([ken.status, ken.body.scode], [404, 3002], 'a volume of another namespace is not found here')
  t.equal(await agent.stop(), 0)
})
