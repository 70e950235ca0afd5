// GET …/info on the server as npm start configures it (the simulator in its worker thread,
// database in memory, metrics on): a volume with a few journal segments and 100 auto
// snapshots against a bare Fastify route serving the same bytes (target ratio ≥ 0.8), and
// the same over a database file (`file_*`: each hit then also reads the file's
// data_version, as another process may have committed); and, at 10,000 snapshots, one call
// end to end when nothing changed since the last (target ≤ 2 ms) and one after a change
// (the info cache misses: the worker reads the volume and the route serialises).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildSimulatorApp, openWorkerHarness, type WorkerSimulator } from '../../simulator/index.js'
import type { BenchResult } from './run.js'
import { againstBareAt, buildInfoVolume, infoOptions, timedRequest, type AgainstBare } from './api-setup.js'

const CALLS = 50

interface Served { base: string, path: string, simulator: WorkerSimulator, close: () => Promise<void> }

/** buildInfoVolume's volume with `snapshots` snapshots in a server as npm start serves it, over `db`. */
async function servedAsNpmStart (db: string, snapshots: number): Promise<Served> {
  const harness = await openWorkerHarness(infoOptions(db))
  const app = await buildSimulatorApp(harness)
  const { path } = await buildInfoVolume(harness.simulator, snapshots)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return { base, path, simulator: harness.simulator, close: () => app.close() }
}

async function ratioOver (db: string): Promise<AgainstBare> {
  const served = await servedAsNpmStart(db, 100)
  try {
    return await againstBareAt(served.base, served.path)
  } finally {
    await served.close()
  }
}

const ms = (value: number): number => Number(value.toFixed(3))
const median = (samples: number[]): number => [...samples].sort((a, b) => a - b)[samples.length >> 1] ?? Number.NaN

export async function run (): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-bench-info-'))
  try {
    const figures = await ratioOver(':memory:')
    const file = await ratioOver(join(dir, 'small.db'))
    const large = await servedAsNpmStart(':memory:', 10_000)
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
        file_rps: file.rps,
        file_bare_rps: file.bare_rps,
        file_ratio: file.ratio,
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
