// For the NBD benchmarks: a 256 MiB random image on disk, an `nbdkit memory` peer on
// 127.0.0.1, and nbdcopy timed against either, with the simulator in its worker thread (as
// served) and in process. Best of three runs each, alternating, so
// both see the same machine. nbdcopy runs from a launcher process (tool-launcher.ts), as a
// user's would from a shell, not forked from the process that holds the simulator.
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { serveVolumeExports, type VolumeExports } from '../../simulator/nbd/volume-exports.js'
import { openSimulator, openWorkerSimulator, type Simulator, type WorkerSimulator } from '../../simulator/index.js'
import { benchOptions, benchTopology, enableAll, seconds } from './sim-setup.js'
import { startToolLauncher } from './tool-launcher.js'

const run = promisify(execFile)
export const IMAGE_BYTES = 256 * 1024 * 1024
const RUNS = 3

export interface Peer { uri: string, close: () => void }

export async function randomImage (): Promise<{ path: string, remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'nbd-bench-'))
  const path = join(dir, 'image.raw')
  await writeFile(path, randomBytes(IMAGE_BYTES))
  return { path, remove: async () => await rm(dir, { recursive: true }) }
}

/** `nbdkit memory` of the image's size on a free loopback port. */
export async function nbdkitMemory (): Promise<Peer> {
  const probe = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => probe.once('listening', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  const child = spawn('nbdkit', ['-f', '-i', '127.0.0.1', '-p', String(port), '--exit-with-parent', 'memory', String(IMAGE_BYTES)], { stdio: 'ignore' })
  const uri = `nbd://127.0.0.1:${port}`
  for (;;) {
    try {
      await run('nbdinfo', ['--size', uri])
      break
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
  return { uri, close: () => child.kill() }
}

/** Copies with nbdcopy, started by the tool launcher. */
export type Nbdcopy = (from: string, to: string) => Promise<void>

/** MiB/s of the fastest of RUNS copies for each of subject and peer, run alternately. */
export async function bestOf (subject: () => Promise<void>, peer: () => Promise<void>): Promise<{ subject: number, peer: number }> {
  const best = { subject: Infinity, peer: Infinity }
  for (let i = 0; i < RUNS; i++) {
    for (const side of ['subject', 'peer'] as const) {
      const t = process.hrtime.bigint()
      await (side === 'subject' ? subject() : peer())
      best[side] = Math.min(best[side], seconds(t))
    }
  }
  const mibs = (s: number): number => Math.round(IMAGE_BYTES / 1024 / 1024 / s)
  return { subject: mibs(best.subject), peer: mibs(best.peer) }
}

/** Where the exports' simulator runs: in its worker thread, as npm start and cdp-sim agent serve it, or in process. */
export type SimulatorPlace = 'worker' | 'in process'

export interface NbdBench {
  sim: Simulator | WorkerSimulator
  cluster: string
  volumes: string[]
}

async function openNbdBench (place: SimulatorPlace): Promise<NbdBench> {
  const topology = benchTopology(1, IMAGE_BYTES)
  const sim = place === 'worker' ? await openWorkerSimulator(benchOptions(topology)) : openSimulator(benchOptions(topology))
  return { sim, ...await enableAll(sim, topology) }
}

/** A simulator with one 256 MiB CDP volume behind NBD exports, a random image and an nbdkit peer, all closed after `measure`. */
export async function againstNbdkit (place: SimulatorPlace, measure: (setup: { bench: NbdBench, exports: VolumeExports, image: string, peer: string, nbdcopy: Nbdcopy }) => Promise<{ subject: number, peer: number }>): Promise<{ subject: number, peer: number, ratio: number }> {
  const launcher = await startToolLauncher()
  const image = await randomImage()
  const bench = await openNbdBench(place)
  const exports = await serveVolumeExports(bench.sim, { port: 0, secretNames: false })
  const peer = await nbdkitMemory()
  try {
    const nbdcopy: Nbdcopy = async (from, to) => { await launcher.run('nbdcopy', [from, to]) }
    const result = await measure({ bench, exports, image: image.path, peer: peer.uri, nbdcopy })
    return { subject: result.subject, peer: result.peer, ratio: Number((result.subject / result.peer).toFixed(3)) }
  } finally {
    peer.close()
    await exports.server.close()
    await bench.sim.close()
    await image.remove()
    launcher.close()
  }
}

/** The figures of a subject measured served from the worker (`ratio`) and in process (`in_process_ratio`). */
export async function servedAndInProcess (unit: string, measure: (place: SimulatorPlace) => Promise<{ subject: number, peer: number, ratio: number }>): Promise<Record<string, number>> {
  const served = await measure('worker')
  const inProcess = await measure('in process')
  return {
    [unit]: served.subject,
    nbdkit_mib_per_s: served.peer,
    ratio: served.ratio,
    [`in_process_${unit}`]: inProcess.subject,
    in_process_nbdkit_mib_per_s: inProcess.peer,
    in_process_ratio: inProcess.ratio
  }
}
