// No stalls: the simulator in its worker thread (as npm start runs it) does heavy calls — a
// revert of 65,536 changed blocks, a list of everything over 20,000 CDP volumes, a
// 16,384-block write — while a probe on another connection calls /healthz and a small `info`
// one after another, each on its own connection. Figures in ms: the heavy call's own time, and the probe's p50/p99 for each
// (target p99 ≤ 50 ms). The heavy call starts once each probe has had its first answer;
// `info` is then answered from the main thread's info cache (nothing changed it since), so
// it waits for no heavy call; `info_miss_ms` is what an info costs that must go to the worker
// while a heavy call holds it (a change dropped the cached answer).
import { NS_PER_SECOND } from '../../src/backend/port.js'
import { buildSimulatorApp, openWorkerHarness } from '../../simulator/index.js'
import { timedRequest } from './api-setup.js'
import { benchTopology } from './sim-setup.js'

const CDP = '/v1/volume/internal/cdp'
const BLOCK = 4096
const PER_CALL = 16_384
const VOLUMES = 20_000
const REVERT_BLOCKS = 65_536

const ms = (value: number): number => Number(value.toFixed(2))
const percentile = (samples: number[], p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
}

interface Probed {
  ms: number
  healthz_p50_ms: number
  healthz_p99_ms: number
  info_p50_ms: number
  info_p99_ms: number
  healthz_probes: number
  info_probes: number
}

/** Calls `url` one request after another, `gap` ms apart, until `done()`; the latencies. `answered` settles with the first. */
async function probe (url: string, done: () => boolean, answered: () => void, gap = 5): Promise<number[]> {
  const latencies: number[] = []
  while (!done()) {
    latencies.push(await timedRequest(url))
    answered()
    await new Promise((resolve) => setTimeout(resolve, gap))
  }
  return latencies
}

/** Runs `heavy` while two probes, each on its own connection, call /healthz and `info`. */
async function whileProbing (base: string, infoUrl: string, heavy: () => Promise<unknown>): Promise<Probed> {
  let finished = false
  const done = () => finished
  const answers: Array<() => void> = []
  const first = [0, 1].map(async () => { await new Promise<void>((resolve) => answers.push(resolve)) })
  const probes = Promise.all([probe(`${base}/healthz`, done, answers[0]!), probe(infoUrl, done, answers[1]!)])
  await Promise.all(first)
  const start = performance.now()
  await heavy()
  const heavyMs = performance.now() - start
  finished = true
  const [health, info] = await probes
  return {
    ms: ms(heavyMs),
    healthz_p50_ms: ms(percentile(health, 0.5)),
    healthz_p99_ms: ms(percentile(health, 0.99)),
    info_p50_ms: ms(percentile(info, 0.5)),
    info_p99_ms: ms(percentile(info, 0.99)),
    healthz_probes: health.length,
    info_probes: info.length
  }
}

export async function run (): Promise<Record<string, number>> {
  const topology = benchTopology(VOLUMES)
  const cluster = topology.clusters[0]!.uuid
  const harness = await openWorkerHarness({ db: ':memory:', topology, clock: { mode: 'manual' }, snapshotIntervalSeconds: 600, segmentCapacity: 2n ** 40n })
  const { simulator: sim } = harness
  const refs = topology.volumes.map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid }))
  await sim.edit({ cdp_priority: 'mid', reserve_capacity: 2n ** 40n, reserve_duration: 10n ** 9n }, refs)
  await sim.enable(refs)
  const app = await buildSimulatorApp(harness)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const [target, probed] = refs as [typeof refs[0], typeof refs[0]]
  const infoUrl = `${base}${CDP}/info?cluster_uuid=${cluster}&volume_uuid=${probed.volume_uuid}`
  const post = (path: string, body: unknown) => async () => await timedRequest(`${base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body)
  })
  try {
    // The point before the writes that the revert undoes.
    await sim.advance(NS_PER_SECOND)
    const snapshot = (await sim.info(target)).cdp_info.at(-1)!.snaps.at(-1)!
    const point = { snapshot_name: snapshot.name, timestamp: (await sim.clock()).now }
    await sim.advance(NS_PER_SECOND)
    for (let first = 0; first < REVERT_BLOCKS; first += PER_CALL) {
      await sim.write(target.volume_uuid, [{ offset: first * BLOCK, length: PER_CALL * BLOCK, fill: 1 + first / PER_CALL }])
    }
    await sim.advance(NS_PER_SECOND)
    const revert = await whileProbing(base, infoUrl, post(`${CDP}/revert`, { ...target, snapshot_name: point.snapshot_name, timestamp: String(point.timestamp) }))
    const list = await whileProbing(base, infoUrl, async () => await timedRequest(`${base}${CDP}/list?cluster_uuid=${cluster}&page_num=0&page_size=0`))
    let infoMissMs = Number.NaN
    const write = await whileProbing(base, infoUrl, async () => {
      const writing = post(`/sim/v1/volumes/${target.volume_uuid}/writes`, { writes: [{ offset: 0, length: PER_CALL * BLOCK, fill: 7 }] })()
      // The target's info has changed since it was last read: this one goes to the worker, behind the write.
      await new Promise((resolve) => setTimeout(resolve, 20))
      infoMissMs = ms(await timedRequest(`${base}${CDP}/info?cluster_uuid=${cluster}&volume_uuid=${target.volume_uuid}`))
      await writing
    })
    const figures: Record<string, number> = {}
    for (const [name, result] of Object.entries({ revert, list, write })) {
      for (const [key, value] of Object.entries(result)) figures[`${name}_${key}`] = value
    }
    return {
      ...figures,
      healthz_p99_ms: Math.max(revert.healthz_p99_ms, list.healthz_p99_ms, write.healthz_p99_ms),
      info_p99_ms: Math.max(revert.info_p99_ms, list.info_p99_ms, write.info_p99_ms),
      write_info_miss_ms: infoMissMs
    }
  } finally {
    await app.close()
  }
}
