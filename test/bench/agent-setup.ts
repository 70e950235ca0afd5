// What the agent benchmarks share: the same data served two ways in one run, the API over
// the simulator in this process, and the API in agent mode (configured as the server
// configures it) over a `cdp-sim agent` child process holding a copy of that database.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openAgentBackend } from '../../src/backend/agent/open.js'
import { loadConfig } from '../../src/config.js'
import { openSimulator } from '../../simulator/index.js'
import { startAgent } from '../helpers/cdp-sim.js'
import { listenApp, requestsPerSecond, type BenchData } from './api-setup.js'

const ROUNDS = 2

export interface AgentFigures { agent_rps: number, simulator_rps: number, bytes: number, ratio: number }

/**
 * Builds the data with `build` into a database file, then measures `path` on the API over
 * that file in-process and on the API over an agent serving a copy of it, alternating
 * for ROUNDS rounds and keeping each side's best (the machine is shared and noisy).
 */
export async function againstInProcess (build: (db: string) => Promise<BenchData>): Promise<AgentFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-bench-agent-'))
  const closing: Array<() => unknown> = []
  try {
    const db = join(dir, 'sim.db')
    const { sim, topology, path } = await build(db)
    await sim.close()
    if (existsSync(`${db}-wal`)) throw new Error(`${db}: the write-ahead log was not folded in on close`)
    copyFileSync(db, join(dir, 'agent.db'))
    writeFileSync(join(dir, 'topology.json'), JSON.stringify(topology))

    const local = await listenApp(openSimulator({ db, topology, clock: { mode: 'manual' } }))
    closing.push(local.close)
    const agent = await startAgent({ teardown: (fn) => closing.push(fn) },
      ['--db', join(dir, 'agent.db'), '--topology', join(dir, 'topology.json'), '--clock', 'manual'])
    const routes = join(dir, 'agents.json')
    writeFileSync(routes, JSON.stringify({ routes: [{ cluster_uuid: topology.clusters[0]?.uuid, urls: [agent.url] }] }))
    const remote = await listenApp(openAgentBackend(loadConfig({ CDP_BACKEND: 'agent', CDP_AGENTS: routes })))
    closing.push(remote.close)

    const body = await (await fetch(`${local.base}${path}`)).text()
    if (await (await fetch(`${remote.base}${path}`)).text() !== body) throw new Error(`${path}: the agent answers other bytes than the simulator`)
    let simulatorRps = 0
    let agentRps = 0
    for (let round = 0; round < ROUNDS; round++) {
      simulatorRps = Math.max(simulatorRps, await requestsPerSecond(`${local.base}${path}`))
      agentRps = Math.max(agentRps, await requestsPerSecond(`${remote.base}${path}`))
    }
    return { agent_rps: agentRps, simulator_rps: simulatorRps, bytes: Buffer.byteLength(body), ratio: Number((agentRps / simulatorRps).toFixed(3)) }
  } finally {
    for (const close of closing.reverse()) await close()
    rmSync(dir, { recursive: true, force: true })
  }
}
