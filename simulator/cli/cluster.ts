// `cdp-sim cluster`: one simulated cluster served by N `cdp-sim agent` processes over one
// database file, each serving a slice of the namespaces, with a routing file for the API,
// optionally the API in agent mode on top, and the cluster's /sim/v1 on one port. Everything
// listens on 127.0.0.1; SIGTERM/SIGINT stops it all, and so does a child that dies (exit 1).
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { openAgentBackend } from '../../src/backend/agent/open.js'
import type { AgentRoute } from '../../src/backend/agent/routing.js'
import { loadConfig } from '../../src/config.js'
import { buildClusterControl } from '../cluster-control.js'
import type { Topology } from '../topology.js'
import { defineCommand, integerOption, UsageError } from './command.js'
import { openServing, servingOptions, workerDied } from './serving.js'

const LOOPBACK = '127.0.0.1'
const MAX_AGENTS = 64
/** How long a stopped child may take before it is killed. */
const STOP_GRACE_MS = 10_000

/**
 * The namespaces each agent serves: the topology's namespaces dealt round-robin over
 * min(agents, namespaces) slices; with more agents than namespaces, agent i serves slice
 * i mod slices, a replica of the agents before it (they share the database).
 */
export function slices (topology: Topology, agents: number): string[][] {
  const namespaces = topology.clusters.flatMap((c) => c.namespaces.map((n) => n.uuid.toLowerCase()))
  const count = Math.min(agents, namespaces.length)
  const dealt = Array.from({ length: count }, (_, k) => namespaces.filter((_, j) => j % count === k))
  return Array.from({ length: agents }, (_, i) => dealt[i % count] as string[])
}

/**
 * The routing file's routes: per cluster, one route per slice that holds some of its
 * namespaces, to the agents serving that slice; the cluster's first route is its catch-all.
 */
export function clusterRoutes (topology: Topology, served: readonly string[][], urls: readonly string[]): AgentRoute[] {
  const bySlice = new Map<string, { namespaces: string[], urls: string[] }>()
  served.forEach((namespaces, i) => {
    const key = namespaces.join(',')
    const slice = bySlice.get(key) ?? { namespaces, urls: [] }
    slice.urls.push(urls[i] as string)
    bySlice.set(key, slice)
  })
  return topology.clusters.flatMap((cluster) => {
    const own = new Set(cluster.namespaces.map((n) => n.uuid.toLowerCase()))
    return [...bySlice.values()]
      .map((slice) => ({ namespaces: slice.namespaces.filter((ns) => own.has(ns)), urls: slice.urls }))
      .filter((slice) => slice.namespaces.length > 0)
      .map((slice, k) => ({ cluster_uuid: cluster.uuid.toLowerCase(), ...(k === 0 ? {} : { namespaces: slice.namespaces }), urls: slice.urls }))
  })
}

interface AgentProcess { child: ChildProcess, url: string, exited: Promise<[number | null, NodeJS.Signals | null]> }

/** Starts one `cdp-sim agent` and waits for its listening line; its other output goes to `err`. */
async function startAgent (self: readonly string[], args: string[], name: string, err: (line: string) => void): Promise<AgentProcess> {
  const [command, ...rest] = self as [string, ...string[]]
  // The IPC channel: an agent whose cluster process is gone stops (cli.ts).
  const child = spawn(command, [...rest, 'agent', ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const { stdout, stderr } = child
  if (stdout === null || stderr === null) throw new Error(`${name}: no output pipes`)
  createInterface({ input: stderr }).on('line', (line) => { err(`${name}: ${line}`) })
  const url = await new Promise<string>((resolve) => {
    // Read to the end, so that its log never fills the pipe.
    createInterface({ input: stdout })
      .on('line', (line) => {
        const match = /^cdp-sim agent listening on (http:\/\/\S+)$/.exec(line)
        if (match?.[1] !== undefined) resolve(match[1])
      })
      .on('close', () => { resolve('') })
  })
  if (url === '') throw new Error(`${name} did not start (exit ${String((await exited)[0])})`)
  return { child, url, exited }
}

async function stopAgent (agent: AgentProcess): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return
  agent.child.kill('SIGTERM')
  const timer = setTimeout(() => { agent.child.kill('SIGKILL') }, STOP_GRACE_MS)
  await agent.exited
  clearTimeout(timer)
}

async function listen (app: FastifyInstance, port: number): Promise<string> {
  await app.listen({ host: LOOPBACK, port })
  return `http://${LOOPBACK}:${(app.server.address() as AddressInfo).port}`
}

export const cluster = defineCommand({
  name: 'cluster',
  summary: 'Serve one simulated cluster with N agent processes over one database, its /sim/v1 on one port, and optionally the API on top',
  description: [
    'Starts N `cdp-sim agent` processes on 127.0.0.1 (free ports) over one database file, each',
    'serving a slice of the namespaces (more agents than namespaces: replicas), writes the',
    'routing file (CDP_AGENTS) for them, with --api serves the CDP API in agent mode over them,',
    'and serves /sim/v1 for the whole cluster: clock, writes, hosts, disks, VMs, reset, state,',
    'snapshots and fault rules act on every agent. Prints "agent URL" per agent, "routes FILE",',
    '"api URL" (with --api) and, last, once everything serves, "control URL". SIGTERM or SIGINT',
    'stops every process and exits 0; an agent that dies, or the worker thread of the cluster\'s',
    'own simulator (its /sim/v1), stops the rest and exits 1. Each agent runs its simulator in a',
    'worker thread, so a heavy call holds up only that thread, never the agent\'s other answers.'
  ].join('\n'),
  options: {
    agents: { type: 'string', value: 'N', description: `agent processes, 1 to ${MAX_AGENTS} (required)` },
    api: { type: 'boolean', description: 'also serve the CDP API in agent mode over the agents, on a free port' },
    ...(({ host: _host, db: _db, ...shared }) => shared)(servingOptions({ port: '9300', clock: 'real', logLevel: 'warn' })),
    db: { type: 'string', value: 'PATH', description: 'the database file the agents share; default: a new one in a temporary directory, removed at the end' },
    routes: { type: 'string', value: 'FILE', description: 'where to write the routing file; default: a temporary file, removed at the end' }
  },
  run: async (values, _positionals, io) => {
    if (values.agents === undefined) throw new UsageError('--agents is required')
    const count = integerOption(values.agents, 'agents', 1, MAX_AGENTS)
    if (values.db === ':memory:') throw new UsageError('--db must be a file: the agents share it')
    const scratch = mkdtempSync(join(tmpdir(), 'cdp-sim-cluster-'))
    const db = values.db ?? join(scratch, 'cluster.db')
    const routesFile = values.routes ?? join(scratch, 'agents.json')
    // The cluster's own simulator opens (and seeds) the file before any agent does.
    const serving = await openServing({ ...values, host: LOOPBACK, db })
    const { topology } = serving
    const served = slices(topology, count)
    const agents: AgentProcess[] = []
    const apps: FastifyInstance[] = []
    const shared = ['--host', LOOPBACK, '--port', '0', '--db', db, '--topology', values.topology, '--clock', values.clock,
      ...(values['clock-start'] === undefined ? [] : ['--clock-start', values['clock-start']]),
      '--snapshot-interval', values['snapshot-interval'], '--log-level', values['log-level']]
    const stopAll = async (): Promise<void> => {
      for (const app of apps.reverse()) await app.close()
      await Promise.all(agents.map(stopAgent))
      rmSync(scratch, { recursive: true, force: true })
    }
    let control: FastifyInstance | undefined
    try {
      const started = await Promise.allSettled(served.map(async (namespaces, i) =>
        await startAgent(io.self, [...shared, ...namespaces.flatMap((ns) => ['--namespace', ns])], `agent ${i}`, io.err)))
      for (const result of started) if (result.status === 'fulfilled') agents.push(result.value)
      const failed = started.find((result) => result.status === 'rejected')
      if (failed !== undefined) throw failed.reason
      for (const agent of agents) io.out(`agent ${agent.url}`)
      writeFileSync(routesFile, `${JSON.stringify({ description: 'written by cdp-sim cluster', routes: clusterRoutes(topology, served, agents.map((a) => a.url)) }, null, 2)}\n`)
      io.out(`routes ${routesFile}`)
      if (values.api) {
        const backend = openAgentBackend(loadConfig({ CDP_BACKEND: 'agent', CDP_AGENTS: routesFile }))
        const api = await buildApp({ backend, logger: { level: serving.level } })
        apps.push(api)
        io.out(`api ${await listen(api, 0)}`)
      }
      control = await buildClusterControl({ simulator: serving.harness.simulator, agents: agents.map((a) => a.url), logger: { level: serving.level } })
      apps.push(control)
      io.out(`control ${await listen(control, serving.port)}`)
    } catch (err) {
      if (control === undefined) await serving.harness.simulator.close()
      await stopAll()
      throw err
    }
    const stopped = new Promise<undefined>((resolve) => {
      if (io.stop.aborted) resolve(undefined)
      io.stop.addEventListener('abort', () => { resolve(undefined) }, { once: true })
    })
    // An agent that exits, or the worker thread of the cluster's own simulator (its /sim/v1).
    const died = Promise.race([...agents.map(async (agent, i) => {
      const [code, signal] = await agent.exited
      return `agent ${i} (${agent.url}) exited with ${signal ?? `code ${String(code)}`}`
    }), workerDied(serving.harness.simulator)])
    const why = await Promise.race([stopped, died])
    await stopAll()
    if (why === undefined) return 0
    io.err(`cdp-sim cluster: ${why}; stopped the others`)
    return 1
  }
})
