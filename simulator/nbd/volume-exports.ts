// The simulator's volumes and views as NBD exports: `volume/<uuid>` read-write (each WRITE is
// a simulator write: applied and journaled as it arrives, answered once committed) and
// `view/<uuid>` read-only while that view is on (published when it goes on, withdrawn, with
// its connections, when it goes off).
import { isCdpError } from '../../src/errors.js'
import { BLOCK_SIZE, MAX_BLOCKS_PER_CALL } from '../content.js'
import type { NbdNames } from '../control.js'
import type { Simulator } from '../simulator.js'
import { NbdError, type BlockDevice, type Extent } from './device.js'
import { ExportTable } from './exports.js'
import { ERRNO } from './protocol.js'
import { listenNbd, type NbdServer } from './server.js'

type VolumeSource = Pick<Simulator, 'readImage' | 'readView' | 'write' | 'allocated' | 'volumes' | 'viewFacts' | 'onViewChange'>

export interface VolumeExports extends NbdNames {
  readonly server: NbdServer
}

export async function serveVolumeExports (sim: VolumeSource, options: { port: number, secretNames: boolean }): Promise<VolumeExports> {
  const table = new ExportTable(options.secretNames)
  const names = new Map<string, string>()
  const publish = (key: string, device: BlockDevice): void => { names.set(key, table.publish(key, device)) }
  const withdraw = (key: string): void => {
    names.delete(key)
    table.withdraw(key)
  }
  const refreshView = (uuid: string, size: number): void => {
    let on = true
    try {
      sim.viewFacts(uuid)
    } catch (error) {
      if (!isCdpError(error) || error.code !== 'VIEW_NOT_FOUND') throw error
      on = false
    }
    if (on) publish(`view/${uuid}`, viewDevice(sim, uuid, size))
    else withdraw(`view/${uuid}`)
  }
  const sizes = new Map<string, number>()
  for (const volume of sim.volumes()) {
    sizes.set(volume.uuid, volume.size)
    publish(`volume/${volume.uuid}`, volumeDevice(sim, volume.uuid, volume.size))
    if (volume.cdp_state !== 'none') refreshView(volume.uuid, volume.size)
  }
  sim.onViewChange((uuid) => {
    const size = sizes.get(uuid)
    if (size !== undefined) refreshView(uuid, size)
  })
  const server = await listenNbd(table, options.port)
  return {
    server,
    exportName: (volumeUuid, kind) => names.get(`${kind}/${volumeUuid.toLowerCase()}`),
    uri: (name) => `nbd://127.0.0.1:${server.port}/${name}`
  }
}

function volumeDevice (sim: VolumeSource, uuid: string, size: number): BlockDevice {
  const zeroes = (offset: number, length: number): void => {
    // One simulator write per MAX_BLOCKS_PER_CALL blocks: a write call's own limit.
    const step = MAX_BLOCKS_PER_CALL * BLOCK_SIZE
    for (let at = offset; at < offset + length; at += step) {
      sim.write(uuid, [{ offset: at, length: Math.min(step, offset + length - at), fill: 0 }])
    }
  }
  return {
    size,
    readOnly: false,
    blockSize: BLOCK_SIZE,
    read: (offset, length) => asNbd(() => sim.readImage(uuid, offset, length)),
    write: (offset, data) => asNbd(() => { sim.write(uuid, [{ offset, data }]) }),
    // Every write has committed before it was answered.
    flush: () => {},
    trim: (offset, length) => asNbd(() => zeroes(offset, length)),
    writeZeroes: (offset, length) => asNbd(() => zeroes(offset, length)),
    extents: (offset, length) => asNbd(() => extentsOf(sim.allocated(uuid, offset, length, false), offset, length))
  }
}

function viewDevice (sim: VolumeSource, uuid: string, size: number): BlockDevice {
  const refuse = (): never => { throw new NbdError(ERRNO.EPERM, 'a view is read-only') }
  return {
    size,
    readOnly: true,
    blockSize: BLOCK_SIZE,
    read: (offset, length) => asNbd(() => sim.readView(uuid, offset, length)),
    write: refuse,
    flush: () => {},
    trim: refuse,
    writeZeroes: refuse,
    extents: (offset, length) => asNbd(() => extentsOf(sim.allocated(uuid, offset, length, true), offset, length))
  }
}

/** Data extents for the allocated blocks (ascending), holes of zeros between them. */
export function extentsOf (allocated: number[], offset: number, length: number): Extent[] {
  const extents: Extent[] = []
  const add = (bytes: number, hole: boolean): void => {
    if (bytes === 0) return
    const last = extents.at(-1)
    if (last !== undefined && last.hole === hole) last.length += bytes
    else extents.push({ length: bytes, hole, zero: hole })
  }
  let at = offset
  for (const block of allocated) {
    add(block * BLOCK_SIZE - at, true)
    add(BLOCK_SIZE, false)
    at = (block + 1) * BLOCK_SIZE
  }
  add(offset + length - at, true)
  return extents
}

/** The simulator's refusals as NBD errors: a view gone is the export gone. */
function asNbd<T> (fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (!isCdpError(error)) throw error
    if (error.code === 'VIEW_NOT_FOUND') throw new NbdError(ERRNO.ESHUTDOWN, 'the view is off')
    if (error.code === 'INVALID_WRITE') throw new NbdError(ERRNO.EINVAL, error.message)
    throw new NbdError(ERRNO.EIO, error.message)
  }
}
