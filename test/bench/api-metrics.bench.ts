// One GET /metrics with the protection gauges at 1,000 and at 10,000 CDP volumes, in
// simulator mode (the app over the simulator in process) and in agent mode (the app over
// AgentBackend to the same simulator served as an agent on 127.0.0.1): ms per scrape,
// median of 5, and their growth for 10× the volumes (target: in proportion, ≤ 10×).
import { buildApp } from '../../src/app.js'
import { createAgentBackend } from '../../src/backend/agent/backend.js'
import { simulatorAppOptions } from '../../simulator/index.js'
import { buildAgentServer } from '../../simulator/agent-server.js'
import type { BenchResult } from './run.js'
import { benchSimulator, seconds } from './sim-setup.js'

async function scrapeMs (app: Awaited<ReturnType<typeof buildApp>>): Promise<number> {
  const samples: number[] = []
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint()
    const res = await app.inject('/metrics')
    if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`)
    samples.push(seconds(t) * 1000)
  }
  return Number((samples.sort((a, b) => a - b)[2] as number).toFixed(1))
}

async function scrapes (volumes: number): Promise<{ sim: number, agent: number }> {
  const { sim, cluster } = await benchSimulator(volumes, 60)
  sim.advance(600n * 1_000_000_000n)
  const inProcess = await buildApp({ backend: sim, ...simulatorAppOptions(sim) })
  const simMs = await scrapeMs(inProcess)
  const agentServer = await buildAgentServer({ simulator: sim })
  const url = await agentServer.listen({ host: '127.0.0.1', port: 0 })
  const overAgent = await buildApp({ backend: createAgentBackend({ routes: [{ cluster_uuid: cluster, urls: [url] }], timeoutMs: 60_000, retries: 0, concurrency: 4 }) })
  try {
    return { sim: simMs, agent: await scrapeMs(overAgent) }
  } finally {
    await overAgent.close()
    await agentServer.close() // closes the simulator
  }
}

export async function run (): Promise<BenchResult> {
  const small = await scrapes(1000)
  const large = await scrapes(10_000)
  return {
    sim_ms_1k: small.sim,
    sim_ms_10k: large.sim,
    agent_ms_1k: small.agent,
    agent_ms_10k: large.agent,
    ratio: Number((large.agent / small.agent).toFixed(2))
  }
}
