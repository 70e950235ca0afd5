// The /sim/v1 of a whole simulated cluster (`cdp-sim cluster`): its agents share one database,
// so the clock, writes, images, hosts, disks, VMs, reset, state files and snapshots act on
// it directly through a simulator of its own over that file; fault rules live in each agent
// process (in front of the protocol it serves), so they are sent to every agent, under one
// id and one seed, and listed with their counts summed.
import { request } from 'undici'
import type { FastifyServerOptions } from 'fastify'
import { CdpError } from '../src/errors.js'
import { createHttpApp, type HttpApp } from '../src/http-app.js'
import { scodeError } from '../src/backend/agent/client.js'
import { mapLimit } from '../src/backend/agent/fan-out.js'
import blockApi from './block-api.js'
import controlApi from './control-api.js'
import { CONTROL_API_PREFIX, type HarnessControl, type SimulatorControl } from './control.js'
import type { FaultRuleStore } from './control-faults.js'
import { FaultRules, type FaultRule, type FaultRuleInput } from './faults.js'
import harnessRoutes from './harness.js'

/** Agents one fault call talks to at once. */
const CONCURRENCY = 8

/** One agent's /sim/v1/faults answer, its failure as the agent's own scode (unreachable: AGENT_UNREACHABLE). */
async function faultCall<T> (agent: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let text: string
  try {
    const res = await request(`${agent}${CONTROL_API_PREFIX}/faults${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    })
    text = await res.body.text()
  } catch (err) {
    throw new CdpError('AGENT_UNREACHABLE', `${agent}: ${(err as Error).message}`)
  }
  const envelope = JSON.parse(text) as { scode: number, desc: string, data: T }
  if (envelope.scode !== 0) throw scodeError(envelope.scode, `${agent}: ${envelope.desc}`)
  return envelope.data
}

/**
 * The rules of every agent as one store. A rule is checked here first (a bad one is a 400
 * and reaches no agent), then added to each agent with the same id and seed; each agent
 * draws for the calls it serves, so `probability` and `count` hold per agent.
 */
export function clusterFaults (agents: readonly string[]): FaultRuleStore {
  // Every agent's call ends before the first failure is thrown: a give-back must not race the add it undoes.
  const each = async <T>(fn: (agent: string) => Promise<T>): Promise<T[]> => {
    const outcomes = await mapLimit(agents, CONCURRENCY, async (agent) => {
      try {
        return { ok: true as const, value: await fn(agent) }
      } catch (error) {
        return { ok: false as const, error }
      }
    })
    const failed = outcomes.find((outcome) => !outcome.ok)
    if (failed !== undefined) throw failed.error
    return outcomes.map((outcome) => (outcome as { value: T }).value)
  }
  const remove = async (id: string): Promise<boolean> => (await each(async (agent) => {
    try {
      await faultCall(agent, 'DELETE', `/${encodeURIComponent(id)}`)
      return true
    } catch (err) {
      if (err instanceof CdpError && err.code === 'FAULT_NOT_FOUND') return false
      throw err
    }
  })).some((removed) => removed)
  return {
    add: async (input: FaultRuleInput) => {
      const { matched: _matched, fired: _fired, ...rule } = new FaultRules().add(input)
      try {
        // The probability as a decimal the agents' request schema takes (a JS number may print as 1e-7).
        const body = { ...rule, probability: rule.probability.toFixed(15) }
        await each(async (agent) => await faultCall(agent, 'POST', '', body))
      } catch (err) {
        // All or none: the agents that took it give it back.
        await remove(rule.id).catch(() => false)
        throw err
      }
      return { ...rule, matched: 0, fired: 0 }
    },
    list: async () => {
      const merged = new Map<string, FaultRule>()
      for (const { rules } of await each(async (agent) => await faultCall<{ rules: FaultRule[] }>(agent, 'GET', ''))) {
        for (const rule of rules) {
          const seen = merged.get(rule.id)
          if (seen === undefined) merged.set(rule.id, { ...rule })
          else Object.assign(seen, { matched: seen.matched + rule.matched, fired: seen.fired + rule.fired })
        }
      }
      return [...merged.values()]
    },
    remove,
    clear: async () => Math.max(0, ...(await each(async (agent) => (await faultCall<{ removed: number }>(agent, 'DELETE', '')).removed)))
  }
}

/** What the cluster's /sim/v1 acts on: a simulator (in its worker thread) over the agents' database. */
export type ClusterSimulator = SimulatorControl & HarnessControl & { close: () => Promise<void> }

/** The cluster's harness calls: a reset keeps the topology the agents' slices were cut from. */
function clusterHarness (simulator: ClusterSimulator): HarnessControl & Pick<SimulatorControl, 'clock'> {
  return {
    clock: async () => await simulator.clock(),
    reset: async (topology) => {
      if (topology !== undefined) throw new CdpError('TOPOLOGY_FIXED', 'a cluster\'s agents serve slices of the topology it started with: restart cdp-sim cluster with --topology')
      await simulator.reset()
    },
    saveState: async (scratch) => await simulator.saveState(scratch),
    loadState: async (file) => { await simulator.loadState(file) },
    takeSnapshots: async (volumes) => await simulator.takeSnapshots(volumes)
  }
}

export interface ClusterControlOptions {
  /** A simulator over the agents' database (the whole topology); the app closes it. */
  simulator: ClusterSimulator
  /** The agents' base URLs. */
  agents: readonly string[]
  logger?: FastifyServerOptions['logger']
}

export async function buildClusterControl (options: ClusterControlOptions): Promise<HttpApp> {
  const app = createHttpApp({ logger: options.logger })
  const { simulator } = options
  await app.register(controlApi, { prefix: CONTROL_API_PREFIX, control: simulator })
  await app.register(harnessRoutes, { prefix: CONTROL_API_PREFIX, control: clusterHarness(simulator), faults: clusterFaults(options.agents) })
  await app.register(blockApi, { prefix: CONTROL_API_PREFIX, control: simulator })
  app.addHook('onClose', async () => { await simulator.close() })
  return app
}
