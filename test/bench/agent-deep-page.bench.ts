// GET …/list?page_num=5000&page_size=10 over 100,000 CDP volumes in agent mode: split
// round-robin over 16 `cdp-sim agent` processes (a namespace and a database each), against
// all of them behind one agent. `ratio` is what a page costs through the 16 over what it
// costs through the one (target ≤ 2); `cold_ms` is the first call through the 16, before
// the API remembers the page's pivot.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openAgentBackend } from '../../src/backend/agent/open.js'
import { loadConfig } from '../../src/config.js'
import { openSimulator, type Topology } from '../../simulator/index.js'
import { startAgent } from '../helpers/cdp-sim.js'
import type { BenchResult } from './run.js'
import { CDP, listenApp, requestsPerSecond } from './api-setup.js'

const VOLUMES = 100_000
const AGENTS = 16
const ROUNDS = 2

/** The whole cluster, and the part of it agent k holds: its namespace and every 16th volume. */
function topologies (): { whole: Topology, parts: Topology[] } {
  const cluster = randomUUID()
  const tenant = randomUUID()
  const namespaces = Array.from({ length: AGENTS }, () => randomUUID())
  const host = { uuid: randomUUID(), maddr: '127.0.0.1', cdp_disks: [{ path: '/dev/sdz', capacity: 2 ** 62 }] }
  const volumes = Array.from({ length: VOLUMES }, (_, i) => ({
    uuid: randomUUID(), name: `vol-${String(i).padStart(6, '0')}`, size: 1024 ** 3, cluster, namespace: namespaces[i % AGENTS] as string, tenant
  }))
  const of = (owned: string[]): Topology => ({
    clusters: [{ uuid: cluster, name: 'bench', mode: '', namespaces: owned.map((uuid) => ({ uuid })), hosts: [host] }],
    tenants: [{ uuid: tenant, name: 'bench' }],
    vms: [],
    volumes: volumes.filter((v) => owned.includes(v.namespace))
  })
  return { whole: of(namespaces), parts: namespaces.map((ns) => of([ns])) }
}

/** A database file holding `topology` with CDP on none but configured on every volume. */
async function build (db: string, topology: Topology): Promise<void> {
  const sim = openSimulator({ db, topology, clock: { mode: 'manual' } })
  const cluster = topology.clusters[0]?.uuid ?? ''
  const refs = topology.volumes.map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid }))
  for (let i = 0; i < refs.length; i += 1000) {
    await sim.edit({ cdp_priority: 'mid', reserve_capacity: 1n << 30n, reserve_duration: 86400n }, refs.slice(i, i + 1000))
  }
  await sim.close()
}

export async function run (): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-bench-deep-'))
  const closing: Array<() => unknown> = []
  const teardown = { teardown: (fn: () => unknown) => closing.push(fn) }
  try {
    const { whole, parts } = topologies()
    const cluster = whole.clusters[0]?.uuid ?? ''
    const api = async (name: string, held: Topology[], namespaced: boolean) => {
      const urls = []
      for (const [k, topology] of held.entries()) {
        const db = join(dir, `${name}-${k}.db`)
        const file = join(dir, `${name}-${k}.json`)
        await build(db, topology)
        writeFileSync(file, JSON.stringify(topology))
        urls.push((await startAgent(teardown, ['--db', db, '--topology', file, '--clock', 'manual'])).url)
      }
      // The last agent also serves whatever namespace the others do not (a cluster needs that route).
      const routes = urls.map((url, k) => namespaced && k < urls.length - 1
        ? { cluster_uuid: cluster, namespaces: held[k]?.clusters[0]?.namespaces.map((n) => n.uuid), urls: [url] }
        : { cluster_uuid: cluster, urls: [url] })
      const file = join(dir, `${name}-agents.json`)
      writeFileSync(file, JSON.stringify({ routes }))
      const app = await listenApp(openAgentBackend(loadConfig({ CDP_BACKEND: 'agent', CDP_AGENTS: file })))
      closing.push(app.close)
      return app.base
    }
    const one = await api('one', [whole], false)
    const sixteen = await api('sixteen', parts, true)
    const path = `${CDP}/list?cluster_uuid=${cluster}&page_num=5000&page_size=10`
    const started = performance.now()
    const body = await (await fetch(`${sixteen}${path}`)).text()
    const coldMs = Math.round(performance.now() - started)
    if (await (await fetch(`${one}${path}`)).text() !== body) throw new Error(`${path}: 16 agents answer other bytes than one`)
    let oneRps = 0
    let sixteenRps = 0
    for (let round = 0; round < ROUNDS; round++) {
      oneRps = Math.max(oneRps, await requestsPerSecond(`${one}${path}`))
      sixteenRps = Math.max(sixteenRps, await requestsPerSecond(`${sixteen}${path}`))
    }
    return { volumes: VOLUMES, agents: AGENTS, one_agent_rps: oneRps, agents_rps: sixteenRps, cold_ms: coldMs, bytes: Buffer.byteLength(body), ratio: Number((oneRps / sixteenRps).toFixed(3)) }
  } finally {
    for (const close of closing.reverse()) await close()
    rmSync(dir, { recursive: true, force: true })
  }
}
