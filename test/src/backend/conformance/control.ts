// The simulator's knobs as the conformance suite turns them, whichever adapter is under
// test: in-process (the Simulator's own methods) or over HTTP (/sim/v1 of the process that
// holds the state, e.g. `cdp-sim agent`).
import { request } from 'undici'
import type { Ns } from '../../../../src/backend/port.js'
import type { BlockWrite, ImageDigest, RecoverableRange, SimulatorControl } from '../../../../simulator/control.js'
import { parseLossless, stringifyLossless } from '../../../helpers/app.js'

export interface Control {
  write: (volumeUuid: string, writes: BlockWrite[]) => Promise<Ns>
  advance: (by: Ns) => Promise<Ns>
  image: (volumeUuid: string, at?: Ns) => Promise<ImageDigest>
  viewImage: (volumeUuid: string) => Promise<ImageDigest>
  recoverable: (volumeUuid: string) => Promise<RecoverableRange[]>
  setVmRunning: (vmUuid: string, running: boolean) => Promise<void>
  setHostOnline: (hostUuid: string, online: boolean) => Promise<void>
}

export function inProcessControl (sim: SimulatorControl): Control {
  return {
    write: async (volume, writes) => (await sim.write(volume, writes)).time,
    advance: async (by) => sim.advance(by),
    image: async (volume, at) => sim.image(volume, at),
    viewImage: async (volume) => sim.viewImage(volume),
    recoverable: async (volume) => (await sim.recoverable(volume)).ranges,
    setVmRunning: async (vm, running) => { await sim.setVmRunning(vm, running) },
    setHostOnline: async (host, online) => { await sim.setHostOnline(host, online) }
  }
}

/** The same knobs through the control API of a process listening at `base` (loopback). */
export function httpControl (base: string): Control {
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> => {
    const res = await request(`${base}/sim/v1${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: stringifyLossless(body) })
    })
    const envelope = parseLossless(await res.body.text()) as { scode: number, desc: string, data: unknown }
    if (envelope.scode !== 0) throw new Error(`${method} ${path}: scode ${envelope.scode} ${envelope.desc}`)
    return envelope.data
  }
  const writeBody = (writes: BlockWrite[]) => ({
    writes: writes.map((w) => 'data' in w ? { offset: w.offset, data: Buffer.from(w.data).toString('base64') } : w)
  })
  const digest = (d: { digest: string, time: bigint | number }): ImageDigest => ({ digest: d.digest, time: BigInt(d.time) })
  return {
    write: async (volume, writes) => BigInt((await call('POST', `/volumes/${volume}/writes`, writeBody(writes))).time),
    advance: async (by) => BigInt((await call('POST', '/clock/advance', { nanoseconds: by })).now),
    image: async (volume, at) => digest(await call('GET', `/volumes/${volume}/image${at === undefined ? '' : `?at=${at}`}`)),
    viewImage: async (volume) => digest(await call('GET', `/volumes/${volume}/view/image`)),
    recoverable: async (volume) => (await call('GET', `/volumes/${volume}/recoverable`)).ranges
      .map((r: { from: bigint | number, to: bigint | number, seq: bigint | number }) => ({ from: BigInt(r.from), to: BigInt(r.to), seq: BigInt(r.seq) })),
    setVmRunning: async (vm, running) => { await call('POST', `/vms/${vm}/state`, { running }) },
    setHostOnline: async (host, online) => { await call('POST', `/hosts/${host}/state`, { online }) }
  }
}
