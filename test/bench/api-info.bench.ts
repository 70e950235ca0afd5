// GET …/info on the server as npm start configures it (the simulator in its worker thread,
// metrics on): a volume with a few journal segments and 100 auto snapshots against a bare
// Fastify route serving the same bytes (target ratio ≥ 0.8); and, at 10,000 snapshots, one
// call end to end when nothing changed since the last (target ≤ 2 ms) and one after a
// change (the info cache misses: the worker reads the volume and the route serialises).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildSimulatorApp, openWorkerHarness, type WorkerSimulator } from '../../simulator/index.js'
import type { BenchResult } from './run.js'
import { againstBareAt, infoData, timedRequest } from './api-setup.js'

const CALLS = 50

interface Served { base: string, path: string, simulator: WorkerSimulator, close: () => Promise<void> }

/** infoData's volume with `snapshots` snapshots, built in a file and then served as npm start serves it. */
async function servedAsNpmStart (db: string, snapshots: number): Promise<Served> {
  const { sim, topology, path } = await infoData(db, snapshots)
  await sim.close()
  const harness = await openWorkerHarness({ db, topology, clock: { mode: 'manual' }, snapshotIntervalSeconds: 60, segmentCapacity: 40n * 4096n })
  const app = await buildSimulatorApp(harness)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return { base, path, simulator: harness.simulator, close: () => app.close() }
}

const ms = (value: number): number => Number(value.toFixed(3))
const median = (samples: number[]): number => [...samples].sort((a, b) => a - b)[samples.length >> 1] ?? Number.NaN

export async function run (): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-bench-info-'))
  try {
    const small = await servedAsNpmStart(join(dir, 'small.db'), 100)
    let figures
    try {
      figures = await againstBareAt(small.base, small.path)
    } finally {
      await small.close()
    }
    const large = await servedAsNpmStart(join(dir, 'large.db'), 10_000)
    try {
      const url = `${large.base}${large.path}`
      await timedRequest(url)
      const unchanged: number[] = []
      for (let i = 0; i < CALLS; i++) unchanged.push(await timedRequest(url))
      const changed: number[] = []
      for (let i = 0; i < CALLS; i++) {
        await large.simulator.advance(1n)
        changed.push(await timedRequest(url))
      }
      return {
        ...figures,
        info_10k_snapshots_unchanged_median_ms: ms(median(unchanged)),
        info_10k_snapshots_unchanged_min_ms: ms(Math.min(...unchanged)),
        info_10k_snapshots_after_change_median_ms: ms(median(changed)),
        info_10k_snapshots_bytes: Buffer.byteLength(await (await fetch(url)).text())
      }
    } finally {
      await large.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
