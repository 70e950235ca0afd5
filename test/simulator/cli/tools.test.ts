// The cdp-sim tools that drive a running simulator (workload, clock, host, vm, timeline), each
// as a real child process (bin/cdp-sim.js) against the API built by buildApp, listening on
// 127.0.0.1 in this process over a manual-clock simulator, or against a `cdp-sim agent`.
import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import type { Simulator } from '../../../simulator/index.js'
import { openTestApp, SECOND, type Teardown } from '../../helpers/app.js'
import { cdpSim, type Finished, startAgent } from '../../helpers/cdp-sim.js'
import { failure, pointAt, ref, writeBlock } from '../../helpers/simulator.js'
import { DEMO } from '../../helpers/demo.js'
import { BLOCK_SIZE } from '../../../simulator/content.js'

const UNKNOWN = '00000000-0000-4000-8000-000000000000'

interface Served { url: string, sim: Simulator }

/** The API over a fresh demo simulator with a manual clock, on a free loopback port. */
async function serve (t: Teardown, app: Parameters<typeof openTestApp>[1] = {}): Promise<Served> {
  const { app: server, sim } = await openTestApp(t, app)
  await server.listen({ host: '127.0.0.1', port: 0 })
  return { url: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`, sim }
}

/** A loopback port nothing listens on. */
async function closedPort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  server.close()
  await once(server, 'close')
  return port
}

function failedWithOneLine (t: Test, run: Finished, message: RegExp, what: string): void {
  t.not(run.code, 0, `${what} exits non-zero`)
  t.equal(run.stderr.split('\n').filter((line) => line !== '').length, 1, `${what}: one line on stderr`)
  t.match(run.stderr.trim(), message, `${what}: ${run.stderr.trim()}`)
}

t.test('--help of each tool lists its options', async (t) => {
  const tools: Record<string, string[]> = {
    workload: ['--url', '--token', '--volume', '--rate', '--duration', '--count', '--block-size', '--pattern', '--span', '--fill', '--fill-share', '--advance-ns', '--seed'],
    clock: ['--url', '--token', '--seconds', '--nanoseconds'],
    host: ['--url', '--token'],
    vm: ['--url', '--token'],
    timeline: ['--url', '--token', '--cluster', '--tenant', '--raw']
  }
  await Promise.all(Object.entries(tools).map(async ([tool, options]) => {
    const { code, stdout, stderr } = await cdpSim(t, [tool, '--help'])
    t.equal(code, 0, `${tool} --help exits 0`)
    t.equal(stderr, '')
    t.match(stdout, new RegExp(`^Usage: cdp-sim ${tool} `), `${tool}: usage line`)
    for (const option of [...options, '--help']) t.match(stdout, new RegExp(`^ +(-h, )?${option}\\b`, 'm'), `${tool} --help lists ${option}`)
  }))
})

t.test('workload --count writes exactly that many blocks, journaled, and prints what it wrote', async (t) => {
  const { url, sim } = await serve(t)
  await sim.enable([ref(DEMO.cdp1)])
  const start = sim.clock().now
  const before = sim.image(DEMO.cdp1).digest

  const run = await cdpSim(t, ['workload', '--url', url, '--volume', DEMO.cdp1, '--count', '25', '--rate', '0', '--advance-ns', String(SECOND), '--seed', '7'])
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stderr, '')
  t.match(run.stdout, /^workload: 25 writes, 100\.0 KiB \(102400 bytes\) in /m)
  t.match(run.stdout, /^ {2}errors: 0$/m)
  // The enable took the clock's start, so the first write has the next ns (one ns per change).
  t.match(run.stdout, new RegExp(`^  first write: 2021-08-27 08:35:21\\.000000001 UTC \\(${start + 1n}\\)$`, 'm'), 'first write 1 ns after the enable')
  t.match(run.stdout, new RegExp(`^  last write: +2021-08-27 08:35:45\\.000000001 UTC \\(${start + 1n + 24n * SECOND}\\)$`, 'm'), 'one second later per write')
  const after = sim.image(DEMO.cdp1).digest
  t.not(after, before, 'the image changed')
  t.match(run.stdout, new RegExp(`^  volume ${DEMO.cdp1}: 25 writes, 100\\.0 KiB, image sha256 ${after}$`, 'm'))
  t.equal(sim.clock().now, start + 1n + 25n * SECOND, 'the clock advanced after each write')
  t.strictSame(sim.recoverable(DEMO.cdp1).ranges, [{ from: start, to: start + 1n + 25n * SECOND, seq: 0n }])
  t.equal((await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.use, 25n * BigInt(BLOCK_SIZE), 'the journal holds 25 blocks')
})

t.test('workload is reproducible with --seed, and spreads writes round robin over volumes', async (t) => {
  const args = (seed: string): string[] => ['--volume', DEMO.cdp1, '--volume', DEMO.vol1, '--count', '40', '--rate', '0', '--pattern', 'random', '--span', '1M', '--block-size', '8K', '--seed', seed]
  const servers = await Promise.all([serve(t), serve(t), serve(t)])
  const runs = await Promise.all(servers.map(async ({ url }, i) => await cdpSim(t, ['workload', '--url', url, ...args(i < 2 ? '42' : '43')])))
  for (const run of runs) {
    t.equal(run.code, 0, run.stderr)
    t.match(run.stdout, new RegExp(`^  volume ${DEMO.cdp1}: 20 writes, 160\\.0 KiB, `, 'm'))
    t.match(run.stdout, new RegExp(`^  volume ${DEMO.vol1}: 20 writes, 160\\.0 KiB, `, 'm'))
  }
  const [a, b, c] = servers.map(({ sim }) => [sim.image(DEMO.cdp1).digest, sim.image(DEMO.vol1).digest])
  t.strictSame(a, b, 'the same seed writes the same images')
  t.not(a?.[0], c?.[0], 'another seed writes another image')
  t.not(a?.[1], c?.[1])
})

t.test('clock prints now and mode; clock advance moves a manual clock', async (t) => {
  const { url, sim } = await serve(t)
  const start = sim.clock().now
  const shown = await cdpSim(t, ['clock', '--url', url])
  t.equal(shown.code, 0, shown.stderr)
  t.equal(shown.stdout, `now  2021-08-27 08:35:21.000000000 UTC (${start})\nmode manual\n`)

  const bySeconds = await cdpSim(t, ['clock', 'advance', '--seconds', '60', '--url', url])
  t.equal(bySeconds.code, 0, bySeconds.stderr)
  t.equal(sim.clock().now, start + 60n * SECOND)
  t.match(bySeconds.stdout, /^now {2}2021-08-27 08:36:21\.000000000 UTC/)

  const byNs = await cdpSim(t, ['clock', 'advance', '--nanoseconds', '5', '--url', url])
  t.equal(byNs.code, 0, byNs.stderr)
  t.equal(sim.clock().now, start + 60n * SECOND + 5n)
  t.match(byNs.stdout, /^now {2}2021-08-27 08:36:21\.000000005 UTC/)
})

t.test('CDP_SIM_URL and CDP_TOKEN are the defaults of --url and --token; the options win over them', async (t) => {
  const token = 'harness-token-0123456789'
  const { url, sim } = await serve(t, { app: { tokens: [{ token }] } })
  const start = sim.clock().now
  const byEnv = await cdpSim(t, ['clock', 'advance', '--seconds', '1'], { CDP_SIM_URL: url, CDP_TOKEN: token })
  t.equal(byEnv.code, 0, byEnv.stderr)
  t.equal(sim.clock().now, start + SECOND, 'the server named by CDP_SIM_URL moved, authenticated by CDP_TOKEN')
  const noToken = await cdpSim(t, ['clock'], { CDP_SIM_URL: url, CDP_TOKEN: '' })
  failedWithOneLine(t, noToken, /scode 2001/, 'an empty CDP_TOKEN is no token')
  const closed = `http://127.0.0.1:${await closedPort()}`
  const overridden = await cdpSim(t, ['clock', '--url', url, '--token', token], { CDP_SIM_URL: closed, CDP_TOKEN: 'wrong-token-0123456789' })
  t.equal(overridden.code, 0, `--url and --token win: ${overridden.stderr}`)
  const help = await cdpSim(t, ['clock', '--help'])
  t.match(help.stdout, /--url URL +.*\(default: \$CDP_SIM_URL, else http:\/\/127\.0\.0\.1:8080\)/)
  t.match(help.stdout, /--token T +.*\(default: \$CDP_TOKEN\)/)
})

t.test('host offline makes info show its segments offline, host online brings them back', async (t) => {
  const { url, sim } = await serve(t)
  await sim.enable([ref(DEMO.cdp1)])
  const online = async (): Promise<boolean | undefined> => (await sim.info(ref(DEMO.cdp1))).cdp_info[0]?.online
  t.equal(await online(), true)

  const offline = await cdpSim(t, ['host', 'offline', DEMO.host1, '--url', url])
  t.strictSame([offline.code, offline.stdout], [0, `host ${DEMO.host1} is offline\n`], offline.stderr)
  t.equal(await online(), false, 'info: online false')

  const back = await cdpSim(t, ['host', 'online', DEMO.host1, '--url', url])
  t.strictSame([back.code, back.stdout], [0, `host ${DEMO.host1} is online\n`], back.stderr)
  t.equal(await online(), true, 'info: online again')
})

t.test('vm stop lets its volume be reverted, vm start refuses it again', async (t) => {
  const { url, sim } = await serve(t)
  await sim.enable([ref(DEMO.kenVolume)])
  sim.advance(SECOND)
  const point = await pointAt(sim, ref(DEMO.kenVolume), sim.clock().now)
  writeBlock(sim, DEMO.kenVolume, 0, 9)
  t.equal(await failure(async () => { await sim.revert(ref(DEMO.kenVolume), point) }), 'VOLUME_IN_USE', 'the demo VM runs')

  const stop = await cdpSim(t, ['vm', 'stop', DEMO.kenVm, '--url', url])
  t.strictSame([stop.code, stop.stdout], [0, `vm ${DEMO.kenVm} is stopped\n`], stop.stderr)
  t.equal(await failure(async () => { await sim.revert(ref(DEMO.kenVolume), point) }), 'no error', 'revert succeeds')

  const start = await cdpSim(t, ['vm', 'start', DEMO.kenVm, '--url', url])
  t.strictSame([start.code, start.stdout], [0, `vm ${DEMO.kenVm} is running\n`], start.stderr)
  t.equal(await failure(async () => { await sim.revert(ref(DEMO.kenVolume), point) }), 'VOLUME_IN_USE', 'refused again')
})

t.test('timeline prints the segments, their snapshots, the gap a disable leaves, and the view', async (t) => {
  const { url, sim } = await serve(t)
  const start = sim.clock().now
  await sim.enable([ref(DEMO.cdp1)])
  writeBlock(sim, DEMO.cdp1, 0, 1)
  sim.advance(700n * SECOND)
  writeBlock(sim, DEMO.cdp1, 1, 2)
  await sim.disable([ref(DEMO.cdp1)])
  sim.advance(300n * SECOND)
  await sim.enable([ref(DEMO.cdp1)])
  writeBlock(sim, DEMO.cdp1, 2, 3)
  sim.advance(100n * SECOND)
  const viewed = start + 650n * SECOND + 123456789n
  const { host_uuid: viewHost } = await sim.viewOn(ref(DEMO.cdp1), await pointAt(sim, ref(DEMO.cdp1), viewed))
  const info = await sim.info(ref(DEMO.cdp1))
  t.equal(info.cdp_info.length, 2, 'two segments')

  const run = await cdpSim(t, ['timeline', DEMO.cdp1, '--cluster', DEMO.cluster, '--url', url])
  t.equal(run.code, 0, run.stderr)
  const out = run.stdout
  t.match(out, new RegExp(`^volume +${DEMO.cdp1} +cluster ${DEMO.cluster}$`, 'm'))
  // Three changes land 1 ns after the one before (a write after each enable, the disable after a write).
  t.match(out, /^window +2021-08-27 08:35:21\.000000000 UTC → 2021-08-27 08:53:41\.000000003 UTC$/m)
  t.match(out, /^ +13m 20s recoverable in 2 ranges, 1 gap$/m)
  t.match(out, /^recoverable +█+·+█+$/m, 'the window row shows the gap')
  t.match(out, /^seq 0 +10\.30\.12\.237:\/dev\/sdd {2}online$/m)
  t.match(out, /^seq 1 +10\.30\.12\.237:\/dev\/sdd {2}online$/m)
  t.match(out, /^ {2}span +2021-08-27 08:35:21\.000000000 UTC → 2021-08-27 08:47:01\.000000002 UTC \(11m 40s\)$/m)
  t.match(out, /^ {2}use +[█░]{20} 8\.0 KiB of 10\.0 GiB \(0\.00%\)$/m)
  for (const snap of info.cdp_info.flatMap((s) => s.snaps)) t.match(out, new RegExp(`^ {4}${snap.name} {2}`, 'm'), `lists ${snap.name}`)
  t.match(out, /^gap +2021-08-27 08:47:01\.000000002 UTC → 2021-08-27 08:52:01\.000000002 UTC \(5m 0s\) not recoverable$/m)
  t.match(out, /^view +◆$/m, 'the view is marked on the axis')
  t.match(out, new RegExp(`^view +on host ${viewHost} at 2021-08-27 08:46:11\\.123456789 UTC$`, 'm'))

  const raw = await cdpSim(t, ['timeline', DEMO.cdp1, '--cluster', DEMO.cluster, '--url', url, '--raw'])
  t.equal(raw.code, 0, raw.stderr)
  t.match(raw.stdout, new RegExp(`^view +on host ${viewHost} at 2021-08-27 08:46:11\\.123456789 UTC \\(${viewed}\\)$`, 'm'), '--raw: the exact ns')
  t.match(raw.stdout, new RegExp(`^gap .*\\(${start + 700n * SECOND + 2n}\\) → .*\\(${start + 1000n * SECOND + 2n}\\)`, 'm'))
})

t.test('timeline and workload work against a cdp-sim agent too (info over the agent protocol)', async (t) => {
  const agent = await startAgent(t, ['--clock', 'manual'])
  t.equal((await agent.post('/agent/v1/enable', { volumes: [ref(DEMO.cdp1)] })).body.data.results[0].scode, 0)
  const work = await cdpSim(t, ['workload', '--url', agent.url, '--volume', DEMO.cdp1, '--count', '3', '--rate', '0', '--fill', '7', '--advance-ns', String(60n * SECOND)])
  t.equal(work.code, 0, work.stderr)
  const run = await cdpSim(t, ['timeline', DEMO.cdp1, '--cluster', DEMO.cluster, '--url', agent.url])
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /^window +2021-08-27 08:35:21\.000000000 UTC → 2021-08-27 08:38:21\.000000001 UTC$/m)
  t.match(run.stdout, /^ {2}use +[█░]{20} 12\.0 KiB of 10\.0 GiB/m)
  t.match(run.stdout, /^view +none$/m)
  t.equal(await agent.stop(), 0)
})

t.test('a token is sent as a bearer token', async (t) => {
  const token = 'cli-tools-test-token-0123456789'
  const { url } = await serve(t, { app: { tokens: [{ token }] } })
  failedWithOneLine(t, await cdpSim(t, ['clock', '--url', url]), /^cdp-sim clock: scode 2001 missing or invalid bearer token/, 'no token')
  const run = await cdpSim(t, ['clock', '--url', url, '--token', token])
  t.equal(run.code, 0, run.stderr)
  t.match(run.stdout, /^mode manual$/m)
})

t.test('errors exit non-zero with one line on stderr', async (t) => {
  const { url } = await serve(t)
  const closed = `http://127.0.0.1:${await closedPort()}`
  const cases: Array<[string[], RegExp]> = [
    [['clock', '--url', closed], /^cdp-sim clock: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED$/],
    [['workload', '--url', closed, '--volume', DEMO.cdp1, '--count', '1'], /^cdp-sim workload: cannot reach .*ECONNREFUSED$/],
    [['timeline', DEMO.cdp1, '--cluster', DEMO.cluster, '--url', closed], /^cdp-sim timeline: cannot reach .*ECONNREFUSED$/],
    [['timeline', UNKNOWN, '--cluster', DEMO.cluster, '--url', url], new RegExp(`^cdp-sim timeline: scode 3002 volume not found: ${UNKNOWN}$`)],
    [['timeline', DEMO.vol1, '--cluster', DEMO.cluster, '--url', url], /^cdp-sim timeline: scode 3003 volume has no CDP/],
    [['workload', '--volume', UNKNOWN, '--count', '1', '--url', url], new RegExp(`^cdp-sim workload: scode 3002 volume not found: ${UNKNOWN}$`)],
    [['host', 'offline', UNKNOWN, '--url', url], /^cdp-sim host: scode 3007 host not found/],
    [['vm', 'stop', UNKNOWN, '--url', url], /^cdp-sim vm: scode 3008 virtual machine not found/],
    [['workload', '--count', '1'], /^cdp-sim workload: --volume is required/],
    [['workload', '--volume', DEMO.cdp1, '--block-size', '1000'], /^cdp-sim workload: --block-size must be a multiple of 4096/],
    [['workload', '--volume', DEMO.cdp1, '--pattern', 'zigzag'], /^cdp-sim workload: --pattern must be one of sequential, random, hot/],
    [['workload', '--volume', 'nope'], /^cdp-sim workload: --volume must be a uuid, not "nope"/],
    [['clock', 'advance'], /^cdp-sim clock: clock advance needs exactly one of --seconds, --nanoseconds/],
    [['host', 'sideways', DEMO.host1], /^cdp-sim host: expected offline or online and a HOST_UUID/],
    [['vm', 'start', 'not-a-uuid'], /^cdp-sim vm: VM_UUID must be a uuid/],
    [['timeline', DEMO.cdp1], /^cdp-sim timeline: --cluster is required/],
    [['timeline', DEMO.cdp1, '--cluster', DEMO.cluster, '--url', 'ftp://127.0.0.1'], /^cdp-sim timeline: --url must be an http:\/\/ or https:\/\/ URL/]
  ]
  await Promise.all(cases.map(async ([args, message]) => {
    const run = await cdpSim(t, args)
    failedWithOneLine(t, run, message, `cdp-sim ${args.join(' ')}`)
    t.equal(run.stdout, '', `cdp-sim ${args.join(' ')}: nothing on stdout`)
  }))
})
