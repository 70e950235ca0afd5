// The protection gauges on /metrics, in simulator mode and in agent mode (the API over a real
// `cdp-sim agent` process): per CDP volume its configured and actual history and its pressure
// (0 ok, 1 warning, 2 shrinking), the same as GET …/window says; at most the cap of volumes
// per scrape, the rest counted; an agent or a backend that cannot answer is counted, and the
// scrape still succeeds.
import t, { type Test } from 'tap'
import { buildApp } from '../../src/app.js'
import { createAgentBackend } from '../../src/backend/agent/backend.js'
import type { CdpBackend, VolumeRef } from '../../src/backend/port.js'
import type { Simulator } from '../../simulator/index.js'
import { CDP, DEMO, DEMO_TOPOLOGY, SECOND, openTestApp } from '../helpers/app.js'
import { startAgent, tempDir } from '../helpers/cdp-sim.js'
import { loadTopology, openSimulator } from '../../simulator/index.js'
import { join } from 'node:path'
import { fail, startAgent as startFakeAgent } from '../helpers/fake-agent.js'
import { type Control, httpControl, inProcessControl } from './backend/conformance/control.js'
import type { FastifyInstance } from 'fastify'

const ref = (volume: string): VolumeRef => ({ cluster_uuid: DEMO.cluster, volume_uuid: volume })
const LEVEL = { ok: 0, warning: 1, shrinking: 2 } as const

/** The samples of /metrics, `name{labels}` → value. */
async function scrape (app: FastifyInstance): Promise<Map<string, number>> {
  const res = await app.inject('/metrics')
  if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`)
  return new Map(res.body.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => {
    const at = line.lastIndexOf(' ')
    return [line.slice(0, at), Number(line.slice(at + 1))]
  }))
}

const series = (name: string, labels: Record<string, string>): string =>
  `${name}{${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',')}}`

/**
 * Three volumes, one per pressure, with 60 s auto snapshots: cdp-1 keeps 100 s of history and
 * has been on for 200 s, so its oldest point (120 s in) is 80 s back, under 85; vol-1 wants a
 * day and has been on too briefly to be judged; ken's volume holds two blocks, so its third
 * write trims history by capacity.
 */
async function pressureHistory (backend: CdpBackend, control: Control): Promise<void> {
  await backend.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 100n }, [ref(DEMO.cdp1)])
  await backend.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 86400n }, [ref(DEMO.vol1)])
  await backend.edit({ cdp_priority: 'mid', reserve_capacity: 8192n, reserve_duration: 86400n }, [ref(DEMO.kenVolume)])
  await backend.enable([ref(DEMO.cdp1), ref(DEMO.vol1), ref(DEMO.kenVolume)])
  for (const fill of [1, 2, 3]) {
    await control.write(DEMO.kenVolume, [{ offset: 0, length: 4096, fill }])
    await control.advance(60n * SECOND)
  }
  await control.advance(20n * SECOND)
}

/** Each volume's gauges against its window answer, and the pressure the scenario means it to have. */
async function checkGauges (t: Test, app: FastifyInstance): Promise<Map<string, number>> {
  const samples = await scrape(app)
  const wanted = { [DEMO.cdp1]: 'warning', [DEMO.vol1]: 'ok', [DEMO.kenVolume]: 'shrinking' } as const
  for (const [volume, pressure] of Object.entries(wanted)) {
    const window = (await app.inject(`${CDP}/window?cluster_uuid=${DEMO.cluster}&volume_uuid=${volume}`)).json().data
    t.equal(window.pressure, pressure, `${volume}: the window route says ${pressure}`)
    t.equal(samples.get(series('cdp_protection_pressure', { volume_uuid: volume })), LEVEL[pressure as keyof typeof LEVEL])
    t.equal(samples.get(series('cdp_protection_window_seconds', { volume_uuid: volume, kind: 'configured' })), window.configured_seconds)
    t.equal(samples.get(series('cdp_protection_window_seconds', { volume_uuid: volume, kind: 'actual' })), window.actual_seconds)
  }
  t.equal(samples.get(series('cdp_protection_window_seconds', { volume_uuid: DEMO.cdp1, kind: 'actual' })), 80)
  t.equal(samples.get('cdp_protection_volumes_omitted'), 0)
  return samples
}

t.test('simulator mode: each CDP volume\'s configured and actual history and its pressure, as window says', async (t) => {
  const { app, sim } = await openTestApp(t, { snapshotIntervalSeconds: 60 })
  const before = await scrape(app)
  t.notOk([...before.keys()].some((k) => k.startsWith('cdp_protection_window_seconds{')), 'no CDP volume, no series')
  await pressureHistory(sim, inProcessControl(sim))
  const samples = await checkGauges(t, app)
  t.equal(samples.get('cdp_protection_agents_unanswered'), 0)
})

t.test('a scrape exports at most the cap, by volume uuid, and counts the rest', async (t) => {
  const { app, sim } = await openTestApp(t, { app: { maxGaugeVolumes: 2 } })
  await sim.enable([ref(DEMO.cdp1), ref(DEMO.vol1), ref(DEMO.kenVolume)])
  const samples = await scrape(app)
  const exported = [...samples.keys()].filter((k) => k.startsWith('cdp_protection_pressure{')).sort()
  const firstTwo = [DEMO.cdp1, DEMO.vol1, DEMO.kenVolume].sort().slice(0, 2)
  t.same(exported, firstTwo.map((volume) => series('cdp_protection_pressure', { volume_uuid: volume })))
  t.equal(samples.get('cdp_protection_volumes_omitted'), 1)
})

t.test('a backend that fails the survey is one unanswered source and a backend error; the scrape still answers', async (t) => {
  const { sim } = await openTestApp(t)
  const broken = Object.assign(Object.create(sim) as Simulator, { protection: async () => { throw new Error('database gone') } })
  const { app } = await openTestApp(t, { app: { backend: broken } })
  t.equal((await scrape(app)).get('cdp_protection_agents_unanswered'), 1)
  // The registry prints its counters while the survey is under way: the next scrape shows the first one's failure.
  t.equal((await scrape(app)).get(series('cdp_backend_errors_total', { operation: 'protection', scode: '5001' })), 1)
})

t.test('agent mode: the same gauges from one call per agent; an agent without the operation is counted', async (t) => {
  const agent = await startAgent(t, ['--clock', 'manual', '--snapshot-interval', '60'])
  const old = await startFakeAgent(t, () => fail('ROUTE_NOT_FOUND'))
  const backend = createAgentBackend({
    routes: [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }, { cluster_uuid: DEMO.cluster, namespaces: [DEMO.linNamespace], urls: [old.url] }],
    timeoutMs: 10_000,
    retries: 0,
    concurrency: 4
  })
  const app = await buildApp({ backend })
  t.teardown(() => app.close())
  await pressureHistory(backend, httpControl(agent.url))
  const samples = await checkGauges(t, app)
  t.equal(samples.get('cdp_protection_agents_unanswered'), 1, 'the agent that lacks the operation')
  t.equal(old.count('/protection'), 1, 'one call per agent per scrape')
  t.equal(agent.child.exitCode, null)
})

t.test('agents sharing one database each survey only the namespaces they serve', async (t) => {
  const db = join(tempDir(t, 'cdp-protection-'), 'sim.db')
  const open = (namespaces?: string[]): Simulator => {
    const sim = openSimulator({ db, topology: loadTopology(DEMO_TOPOLOGY), clock: { mode: 'manual' }, ...(namespaces === undefined ? {} : { namespaces }) })
    t.teardown(() => sim.close())
    return sim
  }
  const whole = open()
  await whole.enable([ref(DEMO.cdp1), ref(DEMO.linData)])
  const lin = await open([DEMO.linNamespace]).protection(10)
  t.same([lin.volumes.map((v) => v.volume_uuid), lin.omitted], [[DEMO.linData], 0])
  const ken = await open([DEMO.namespace]).protection(10)
  t.same([ken.volumes.map((v) => v.volume_uuid), ken.omitted], [[DEMO.cdp1], 0])
  t.equal((await whole.protection(1)).omitted, 1)
})
