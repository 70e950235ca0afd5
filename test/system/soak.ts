// The load half of `npm run soak`: the API server (src/server.ts, simulator on a database
// file, manual clock) as a process on 127.0.0.1, 60 seconds of mixed requests from
// autocannon (info, list with filters, batch edits, writes through /sim/v1, view on/off
// pairs), the clock moved on every second so auto snapshots and retention run. Prints one
// JSON line: requests, status classes, latency percentiles (ms) and the server's RSS (MiB)
// at start, end and peak; exits 1 on any 5xx or connection error. Every process it starts
// is stopped and its files removed, however it ends.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import autocannon, { type Request } from 'autocannon'
import { CDP, callHttp } from '../helpers/app.js'
import { spawnApiServer } from '../helpers/api-server.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { seededRandom } from '../helpers/serial.js'
import { benchTopology } from '../bench/sim-setup.js'

const DURATION_S = Number(process.env.CDP_SOAK_SECONDS ?? '60')
const CONNECTIONS = 16
const VOLUME_COUNT = 200
/** Volumes that views are exposed on; each has its current point refreshed every second. */
const VIEW_VOLUMES = 16
const SEED = Number(process.env.CDP_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31))
const POLICY = { cdp_priority: 'mid', reserve_capacity: 64 * 1024 * 1024, reserve_duration: 600 }

const cleanup: Array<() => unknown> = []
const teardown = { teardown: (fn: () => unknown) => { cleanup.push(fn) } }

/** The process's resident set in MiB, from /proc (Linux). */
function rssMiB (pid: number): number {
  const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Math.round(Number(kib) / 1024)
}

async function main (): Promise<number> {
  const random = seededRandom(SEED)
  const dir = tempDir(teardown, 'cdp-soak-')
  const topology = benchTopology(VOLUME_COUNT)
  const cluster = topology.clusters[0]?.uuid as string
  const volumes = topology.volumes.map((v) => v.uuid)
  writeFileSync(join(dir, 'topology.json'), JSON.stringify(topology))
  const server = spawnApiServer(teardown, {
    CDP_SIM_DB: join(dir, 'sim.db'),
    CDP_SIM_TOPOLOGY: join(dir, 'topology.json'),
    CDP_SIM_CLOCK: 'manual',
    CDP_SIM_SNAPSHOT_INTERVAL: '60'
  })
  const base = await server.address
  if (base === '') throw new Error(`the server did not start: ${server.stderr()}`)
  const pid = server.child.pid as number

  const refs = volumes.map((uuid) => ({ cluster_uuid: cluster, volume_uuid: uuid }))
  await callHttp(base, 'POST', `${CDP}/edit`, { ...POLICY, volumes: refs })
  await callHttp(base, 'POST', `${CDP}/enable`, { volumes: refs })
  const points = new Map<string, { snapshot_name: string, timestamp: bigint }>()
  /** Moves the clock a minute on and takes each view volume's newest snapshot as its point. */
  async function tick (): Promise<void> {
    const now = BigInt((await callHttp(base, 'POST', '/sim/v1/clock/advance', { seconds: 60 })).body.data.now)
    for (const uuid of volumes.slice(0, VIEW_VOLUMES)) {
      const info = await callHttp(base, 'GET', `${CDP}/info?cluster_uuid=${cluster}&volume_uuid=${uuid}`)
      const snap = (info.body.data?.cdp_info as Array<{ snaps: Array<{ name: string }> }> | undefined)?.at(-1)?.snaps.at(-1)
      if (snap !== undefined) points.set(uuid, { snapshot_name: snap.name, timestamp: now })
    }
  }
  await tick()
  const rss = { start: rssMiB(pid), end: 0, peak: 0 }
  rss.peak = rss.start

  const json = { 'content-type': 'application/json' }
  const someVolume = () => random.pick(volumes)
  const failures: string[] = []
  const onResponse = (status: number, body: string): void => {
    if (status >= 500 && failures.length < 5) failures.push(`${status} ${body}`)
  }
  const get = (path: () => string): Request => ({ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }), onResponse })
  const post = (path: (context: Record<string, string>) => string, body: (context: Record<string, string>) => unknown): Request => ({
    method: 'POST',
    headers: json,
    setupRequest: (req, context) => ({ ...req, path: path(context as Record<string, string>), body: JSON.stringify(body(context as Record<string, string>)) }),
    onResponse
  })
  const ref = (uuid: string) => ({ cluster_uuid: cluster, volume_uuid: uuid })
  const requests: Request[] = [
    get(() => `${CDP}/info?cluster_uuid=${cluster}&volume_uuid=${someVolume()}`),
    get(() => `${CDP}/list?cluster_uuid=${cluster}&page_size=20&page_num=${random.int(0, 9)}`),
    post(() => `/sim/v1/volumes/${someVolume()}/writes`, () => ({ writes: [{ offset: 4096 * random.int(0, 1023), length: 4096 * random.int(1, 4), fill: random.int(0, 255) }] })),
    post(() => `${CDP}/edit`, () => ({ ...POLICY, cdp_priority: random.pick(['high', 'mid', 'low']), volumes: [ref(someVolume()), ref(someVolume())] })),
    get(() => `${CDP}/list?cluster_uuid=${cluster}&filter_name=vol-0000${random.int(0, 9)}`),
    post((context) => {
      context.view = volumes[random.int(0, VIEW_VOLUMES - 1)] as string
      return `${CDP}/view`
    }, (context) => ({ ...ref(context.view as string), op: 'on', ...points.get(context.view as string), timestamp: String(points.get(context.view as string)?.timestamp) })),
    post(() => `${CDP}/view`, (context) => ({ ...ref(context.view as string), op: 'off' })),
    post(() => `/sim/v1/volumes/${someVolume()}/writes`, () => ({ writes: [{ offset: 4096 * random.int(0, 1023), length: 4096, fill: random.int(0, 255) }] })),
    get(() => `${CDP}/info?cluster_uuid=${cluster}&volume_uuid=${volumes[random.int(0, VIEW_VOLUMES - 1)]}`)
  ]

  const sampling = setInterval(() => {
    rss.peak = Math.max(rss.peak, rssMiB(pid))
    tick().catch((err: unknown) => { failures.push(`tick: ${String(err)}`) })
  }, 1000)
  let result: autocannon.Result
  try {
    result = await autocannon({ url: base, connections: CONNECTIONS, duration: DURATION_S, requests })
  } finally {
    clearInterval(sampling)
  }
  rss.end = rssMiB(pid)
  rss.peak = Math.max(rss.peak, rss.end)
  const report = {
    load: 'mixed',
    seed: SEED,
    seconds: result.duration,
    connections: CONNECTIONS,
    requests: result.requests.total,
    requests_per_s: result.requests.average,
    status: { '2xx': result['2xx'], '4xx': result['4xx'], '5xx': result['5xx'] },
    status_codes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0])),
    errors: result.errors,
    timeouts: result.timeouts,
    latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    rss_mib: rss
  }
  console.log(JSON.stringify(report))
  for (const failure of failures) console.error(failure)
  return result['5xx'] === 0 && result.errors === 0 && failures.length === 0 ? 0 : 1
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  console.error(err)
  process.exitCode = 1
}).finally(() => {
  for (const fn of cleanup.reverse()) fn()
})
