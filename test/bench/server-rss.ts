// The resident memory of the server as npm start runs it (its own process: the built entry,
// the simulator in its worker thread with the database in memory) over a topology whose
// every volume has CDP, after it has served `paths` for a while: what an operator sees in
// `ps`, without the benchmark's own client and data in the figure.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Topology } from '../../simulator/index.js'
import { spawnApiServer } from '../helpers/api-server.js'
import { CDP, requestsPerSecond } from './api-setup.js'

const LOAD_SECONDS = 2

/** VmRSS and VmHWM (the peak) of process `pid`, in MiB. */
function residentMiB (pid: number): { rss: number, peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) }
}

export async function serverRss (topology: Topology, paths: string[]): Promise<{ server_rss_mb: number, server_peak_rss_mb: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-bench-rss-'))
  const teardowns: Array<() => void> = []
  try {
    const file = join(dir, 'topology.json')
    writeFileSync(file, JSON.stringify(topology))
    const server = spawnApiServer({ teardown: (fn) => { teardowns.push(fn) } }, { CDP_SIM_TOPOLOGY: file, CDP_SIM_CLOCK: 'manual' })
    const base = await server.address
    if (base === '') throw new Error(`the server did not start: ${server.stderr()}`)
    const cluster = topology.clusters[0]?.uuid ?? ''
    for (let i = 0; i < topology.volumes.length; i += 1000) {
      const volumes = topology.volumes.slice(i, i + 1000).map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid }))
      const res = await fetch(`${base}${CDP}/edit`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ cdp_priority: 'mid', reserve_capacity: 2 ** 30, reserve_duration: 86400, volumes })
      })
      if (res.status !== 200) throw new Error(`edit: HTTP ${res.status}: ${await res.text()}`)
    }
    for (const path of paths) await requestsPerSecond(`${base}${path}`, LOAD_SECONDS)
    const { rss, peak } = residentMiB(server.child.pid ?? 0)
    server.child.kill('SIGTERM')
    return { server_rss_mb: rss, server_peak_rss_mb: peak }
  } finally {
    for (const fn of teardowns) fn()
    rmSync(dir, { recursive: true, force: true })
  }
}
