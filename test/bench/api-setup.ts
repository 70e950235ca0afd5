// What the API benchmarks share: an app listening on 127.0.0.1, a bare Fastify route that
// serves the same bytes (the ceiling for one route on this machine), one autocannon run,
// and the data the info and list benchmarks read.
import autocannon from 'autocannon'
import Fastify from 'fastify'
import { request } from 'undici'
import { buildApp } from '../../src/app.js'
import type { CdpBackend, VolumeRef } from '../../src/backend/port.js'
import { openSimulator, type BlockWrite, type Simulator, type SimulatorOptions, type Topology } from '../../simulator/index.js'
import { benchTopology } from './sim-setup.js'
import { DEMO, demoTopology } from '../helpers/demo.js'

export const CDP = '/v1/volume/internal/cdp'
const CONNECTIONS = 50
const DURATION_SECONDS = 5
const WARM_UP_SECONDS = 1

export async function listenApp (backend: CdpBackend): Promise<{ base: string, close: () => Promise<void> }> {
  const app = await buildApp({ backend })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return { base, close: () => app.close() }
}

/** A route with nothing behind it, answering `body` as JSON. */
export async function listenBare (body: string): Promise<{ base: string, close: () => Promise<void> }> {
  const bare = Fastify()
  bare.get('/bare', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body))
  const base = await bare.listen({ host: '127.0.0.1', port: 0 })
  return { base: `${base}/bare`, close: () => bare.close() }
}

/** One request's time in ms, its body read to the end; anything but 200 fails the benchmark. */
export async function timedRequest (url: string, init: Parameters<typeof request>[1] = {}): Promise<number> {
  const start = performance.now()
  const res = await request(url, init)
  // Read, not decoded: the client shares the server's thread, and decoding 8 MB of list is its own work.
  let bytes = 0
  for await (const chunk of res.body) bytes += (chunk as Buffer).length
  if (res.statusCode !== 200 || bytes === 0) throw new Error(`${url}: ${res.statusCode}, ${bytes} bytes`)
  return performance.now() - start
}

/** Requests per second (mean) over one run; non-2xx answers fail the benchmark. */
export async function requestsPerSecond (url: string, duration = DURATION_SECONDS): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return Math.round(result.requests.average)
}

export interface AgainstBare { rps: number, bare_rps: number, bytes: number, ratio: number }

/** The subject against the bare route returning the same bytes. */
export async function againstBare (sim: Simulator, path: string): Promise<AgainstBare> {
  const app = await listenApp(sim)
  try {
    return await againstBareAt(app.base, path)
  } finally {
    await app.close()
  }
}

/** `path` on a server already listening at `base` against the bare route returning the same bytes. */
export async function againstBareAt (base: string, path: string): Promise<AgainstBare> {
  const body = await (await fetch(`${base}${path}`)).text()
  const bare = await listenBare(body)
  try {
    // Both warmed up first: measured cold, the subject would pay for compiling the code the bare route then finds compiled.
    await requestsPerSecond(`${base}${path}`, WARM_UP_SECONDS)
    await requestsPerSecond(bare.base, WARM_UP_SECONDS)
    const rps = await requestsPerSecond(`${base}${path}`)
    const bareRps = await requestsPerSecond(bare.base)
    return { rps, bare_rps: bareRps, bytes: Buffer.byteLength(body), ratio: Number((rps / bareRps).toFixed(3)) }
  } finally {
    await bare.close()
  }
}

/** A simulator holding what a benchmark reads, the topology it models, and the request path. */
export interface BenchData { sim: Simulator, topology: Topology, path: string }

const SECOND = 1_000_000_000n

/** The info benchmarks' options for a simulator over `db`: a segment holds 40 blocks, an auto snapshot a minute. */
export const infoOptions = (db: string): SimulatorOptions =>
  ({ db, topology: demoTopology, clock: { mode: 'manual' }, snapshotIntervalSeconds: 60, segmentCapacity: 40n * 4096n })

/** What building the info volume calls: the in-process simulator and the worker's alike. */
type InfoBuilder = Pick<CdpBackend, 'edit' | 'enable'> & {
  write: (volume: string, writes: BlockWrite[]) => unknown
  advance: (by: bigint) => unknown
}

/**
 * Gives cdp-1 of the demo cluster `snapshots` auto snapshots a minute apart (one one-block
 * write each: 100 fill three segments); answers its info request.
 */
export async function buildInfoVolume (sim: InfoBuilder, snapshots = 100): Promise<{ ref: VolumeRef, path: string }> {
  const cluster = DEMO.cluster
  const volume = DEMO.cdp1
  const ref = { cluster_uuid: cluster, volume_uuid: volume }
  await sim.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 10n ** 6n }, [ref])
  await sim.enable([ref])
  for (let i = 0; i < snapshots; i++) {
    await sim.write(volume, [{ offset: (i % 64) * 4096, length: 4096, fill: i % 256 }])
    await sim.advance(60n * SECOND)
  }
  return { ref, path: `${CDP}/info?cluster_uuid=${cluster}&volume_uuid=${volume}` }
}

/** buildInfoVolume's volume in an in-process simulator over `db`. */
export async function infoData (db: string, snapshots = 100): Promise<BenchData & { ref: VolumeRef }> {
  const sim = openSimulator(infoOptions(db))
  return { sim, topology: demoTopology, ...await buildInfoVolume(sim, snapshots) }
}

/** The first page of 10 of the cluster's CDP volumes whose name holds `filter`. */
export function listPath (topology: Topology, filter: string): string {
  return `${CDP}/list?cluster_uuid=${topology.clusters[0]?.uuid ?? ''}&page_num=0&page_size=10&filter_name=${filter}`
}

/** Every volume of the topology's one cluster gets a CDP policy (edit, no enable), a thousand volumes a call: that is what list lists. */
export async function configureCdpOnAll (backend: Pick<CdpBackend, 'edit'>, topology: Topology): Promise<void> {
  const cluster = topology.clusters[0]?.uuid ?? ''
  const refs = topology.volumes.map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid }))
  for (let i = 0; i < refs.length; i += 1000) {
    await backend.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 86400n }, refs.slice(i, i + 1000))
  }
}

/**
 * `volumes` CDP volumes named vol-000000…, and the first page of 10 of those whose name
 * holds `filter` ("vol-0999" at 100,000 volumes: vol-099900 … vol-099999, 100 of them).
 */
export async function listData (db: string, volumes: number, filter: string): Promise<BenchData> {
  const topology = benchTopology(volumes)
  const sim = openSimulator({ db, topology, clock: { mode: 'manual' } })
  await configureCdpOnAll(sim, topology)
  return { sim, topology, path: listPath(topology, filter) }
}
