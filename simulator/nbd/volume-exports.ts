// The simulator's volumes and views as NBD exports: `volume/<uuid>` read-write (each WRITE is
// a simulator write: applied and journaled as it arrives, answered once committed) and
// `view/<uuid>` read-only while that view is on (published when it goes on, withdrawn, with
// its connections, when it goes off).
import { isCdpError } from '../../src/errors.js'
import { BLOCK_SIZE, MAX_BLOCKS_PER_CALL } from '../content.js'
import type { Awaitable, NbdNames, SimulatorControl, ViewListener } from '../control.js'
import { NbdError, type BlockDevice, type Extent } from './device.js'
import { ExportTable } from './exports.js'
import type { BlockRun } from '../point-in-time.js'
import { ERRNO } from './protocol.js'
import { listenNbd, type NbdServer } from './server.js'

/** What the exports read and write: the Simulator, in process or in its worker thread. */
export type VolumeSource = Pick<SimulatorControl, 'readImage' | 'readView' | 'write' | 'volumes' | 'viewFacts'> & {
  /** The runs of allocated blocks (ascending) of a block-aligned range of the volume, or of its view. */
  allocated: (volumeUuid: string, offset: number, length: number, view: boolean) => Awaitable<BlockRun[]>
  /** Told of each view that goes on or off, before the call that did it answers. */
  onViewChange: (listener: ViewListener) => void
}

export interface VolumeExports extends NbdNames {
  readonly server: NbdServer
}

export async function serveVolumeExports (sim: VolumeSource, options: { port: number, secretNames: boolean }): Promise<VolumeExports> {
  // Every volume stands as `volume/<uuid>` from the start; a name is made only when asked for.
  const sizes = new Map<string, number>()
  const volumePrefix = 'volume/'
  const table = new ExportTable(options.secretNames, {
    sourceOf: (name) => {
      const uuid = name.startsWith(volumePrefix) ? name.slice(volumePrefix.length) : ''
      const size = sizes.get(uuid)
      return size === undefined ? undefined : () => volumeDevice(sim, uuid, size)
    },
    names: () => Array.from(sizes.keys(), (uuid) => `${volumePrefix}${uuid}`)
  })
  const showView = (uuid: string, size: number, on: boolean): void => {
    if (on) table.publish(`view/${uuid}`, () => viewDevice(sim, uuid, size))
    else table.withdraw(`view/${uuid}`)
  }
  const viewIsOn = async (uuid: string): Promise<boolean> => {
    try {
      await sim.viewFacts(uuid)
      return true
    } catch (error) {
      if (!isCdpError(error) || error.code !== 'VIEW_NOT_FOUND') throw error
      return false
    }
  }
  for (const { uuid, size, cdp_state: state } of await sim.volumes()) {
    sizes.set(uuid, size)
    if (state !== 'none') showView(uuid, size, await viewIsOn(uuid))
  }
  sim.onViewChange((uuid, on) => {
    const size = sizes.get(uuid)
    if (size !== undefined) showView(uuid, size, on)
  })
  const server = await listenNbd(table, options.port)
  return {
    server,
    exportName: (volumeUuid, kind) => table.nameOf(`${kind}/${volumeUuid.toLowerCase()}`),
    uri: (name) => `nbd://127.0.0.1:${server.port}/${name}`
  }
}

function volumeDevice (sim: VolumeSource, uuid: string, size: number): BlockDevice {
  const zeroes = async (offset: number, length: number): Promise<void> => {
    // One simulator write per MAX_BLOCKS_PER_CALL blocks: a write call's own limit.
    const step = MAX_BLOCKS_PER_CALL * BLOCK_SIZE
    for (let at = offset; at < offset + length; at += step) {
      await sim.write(uuid, [{ offset: at, length: Math.min(step, offset + length - at), fill: 0 }])
    }
  }
  return {
    size,
    readOnly: false,
    blockSize: BLOCK_SIZE,
    read: (offset, length) => asNbd(() => sim.readImage(uuid, offset, length)),
    write: async (offset, data) => { await asNbd(() => sim.write(uuid, [{ offset, data }])) },
    // Every write has committed before it was answered.
    flush: () => {},
    trim: (offset, length) => asNbd(() => zeroes(offset, length)),
    writeZeroes: (offset, length) => asNbd(() => zeroes(offset, length)),
    extents: async (offset, length) => await asNbd(async () => extentsOf(await sim.allocated(uuid, offset, length, false), offset, length))
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
    extents: async (offset, length) => await asNbd(async () => extentsOf(await sim.allocated(uuid, offset, length, true), offset, length))
  }
}

/** Data extents for the runs of allocated blocks (ascending, apart), holes of zeros between them. */
export function extentsOf (allocated: BlockRun[], offset: number, length: number): Extent[] {
  const extents: Extent[] = []
  const add = (bytes: number, hole: boolean): void => {
    if (bytes > 0) extents.push({ length: bytes, hole, zero: hole })
  }
  let at = offset
  for (const run of allocated) {
    add(run.first * BLOCK_SIZE - at, true)
    add(run.count * BLOCK_SIZE, false)
    at = (run.first + run.count) * BLOCK_SIZE
  }
  add(offset + length - at, true)
  return extents
}

/** The simulator's refusals as NBD errors: a view gone is the export gone. */
async function asNbd<T> (fn: () => Awaitable<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (!isCdpError(error)) throw error
    if (error.code === 'VIEW_NOT_FOUND') throw new NbdError(ERRNO.ESHUTDOWN, 'the view is off')
    if (error.code === 'INVALID_WRITE') throw new NbdError(ERRNO.EINVAL, error.message)
    throw new NbdError(ERRNO.EIO, error.message)
  }
}
