// The simulator's volumes and views as NBD exports, served in process from a stand-in source
// that records each call: which exports stand, when a view's export comes and goes, what each
// device asks of the simulator, and how the simulator's refusals reach a client.
import t, { type Test } from 'tap'
import { CdpError } from '../../../src/errors.js'
import type { BlockWrite, ViewListener } from '../../../simulator/control.js'
import { NbdError, type BlockDevice } from '../../../simulator/nbd/device.js'
import { ERRNO } from '../../../simulator/nbd/protocol.js'
import { extentsOf, serveVolumeExports, type VolumeExports, type VolumeSource } from '../../../simulator/nbd/volume-exports.js'

const KiB4 = 4096
const VOLUME = { on: 'aaaaaaaa-0000-4000-8000-000000000001', off: 'aaaaaaaa-0000-4000-8000-000000000002', none: 'aaaaaaaa-0000-4000-8000-000000000003' }

interface Recorded {
  source: VolumeSource
  calls: unknown[][]
  /** Tells the exports a view went on or off, as the simulator does. */
  viewChange: ViewListener
  /** What the next call to the simulator throws, once. */
  failNext: (error: unknown) => void
}

/** A source with three volumes: CDP on with its view on, CDP on with its view off, and no CDP. */
function recorded (): Recorded {
  const calls: unknown[][] = []
  let listener: ViewListener = () => {}
  let failure: unknown
  const call = <T>(name: string, args: unknown[], answer: T): T => {
    calls.push([name, ...args])
    if (failure !== undefined) {
      const error = failure
      failure = undefined
      throw error
    }
    return answer
  }
  const source: VolumeSource = {
    volumes: () => [
      { uuid: VOLUME.on, name: 'on', size: 64 * KiB4, tenant: 't', cdp_state: 'on' },
      { uuid: VOLUME.off, name: 'off', size: 32 * KiB4, tenant: 't', cdp_state: 'off' },
      { uuid: VOLUME.none, name: 'none', size: 16 * KiB4, tenant: 't', cdp_state: 'none' }
    ],
    viewFacts: (uuid) => {
      calls.push(['viewFacts', uuid])
      if (uuid !== VOLUME.on) throw new CdpError('VIEW_NOT_FOUND', uuid)
      return { host_uuid: 'h', snapshot_name: 's', time: 1n as never }
    },
    readImage: (uuid, offset, length) => call('readImage', [uuid, offset, length], Buffer.alloc(length, 1)),
    readView: (uuid, offset, length) => call('readView', [uuid, offset, length], Buffer.alloc(length, 2)),
    write: (uuid, writes: BlockWrite[]) => call('write', [uuid, writes], { count: writes.length, time: 1n as never }),
    allocated: (uuid, offset, length, view) => call('allocated', [uuid, offset, length, view], [{ first: offset / KiB4 + 1, count: 1 }]),
    onViewChange: (next) => { listener = next }
  }
  return { source, calls, viewChange: (uuid, on) => listener(uuid, on), failNext: (error) => { failure = error } }
}

async function served (t: Test, source: VolumeSource, secretNames = false): Promise<VolumeExports> {
  const exports = await serveVolumeExports(source, { port: 0, secretNames })
  t.teardown(() => exports.server.close())
  return exports
}

function deviceOf (exports: VolumeExports, volume: string, kind: 'volume' | 'view'): BlockDevice {
  const name = exports.exportName(volume, kind)
  const opened = name === undefined ? undefined : exports.server.exports.open(name)
  if (opened === undefined) throw new Error(`${kind}/${volume} is not offered`)
  return opened.device
}

/** The NbdError a call rejects with, as its errno and message. */
async function refusal (call: () => unknown): Promise<{ errno: number, message: string } | string> {
  try {
    await call()
    return 'answered'
  } catch (error) {
    return error instanceof NbdError ? { errno: error.errno, message: error.message } : `not an NbdError: ${String(error)}`
  }
}

t.test('every volume stands as volume/<uuid>; a view is offered while it is on, and its volume is the only one asked about it', async (t) => {
  const { source, calls } = recorded()
  const exports = await served(t, source)
  t.strictSame(exports.server.exports.listed().sort(), [`view/${VOLUME.on}`, ...Object.values(VOLUME).map((uuid) => `volume/${uuid}`)].sort())
  t.strictSame(calls, [['viewFacts', VOLUME.on], ['viewFacts', VOLUME.off]], 'a volume without CDP has no view to ask about')
  t.equal(exports.exportName(VOLUME.none.toUpperCase(), 'volume'), `volume/${VOLUME.none}`, 'a uuid in upper case names the same export')
  t.equal(exports.exportName(VOLUME.off, 'view'), undefined)
  t.equal(exports.exportName('bbbbbbbb-0000-4000-8000-000000000009', 'volume'), undefined, 'a volume the simulator does not have')
  t.equal(exports.server.exports.open(`volume/${VOLUME.none}x`), undefined)
  t.equal(exports.server.exports.open(`view/${VOLUME.none}`), undefined)
  t.equal(exports.server.exports.open(VOLUME.none), undefined, 'the bare uuid names nothing')
  t.equal(exports.uri('volume/x'), `nbd://127.0.0.1:${exports.server.port}/volume/x`)
  const device = deviceOf(exports, VOLUME.off, 'volume')
  t.strictSame([device.size, device.readOnly, device.blockSize], [32 * KiB4, false, KiB4])
})

t.test('a view going on is published, going off withdrawn with its openers revoked; a volume the exports do not know is ignored', async (t) => {
  const { source, viewChange } = recorded()
  const exports = await served(t, source)
  viewChange(VOLUME.off, true)
  const view = deviceOf(exports, VOLUME.off, 'view')
  t.strictSame([view.size, view.readOnly, view.blockSize], [32 * KiB4, true, KiB4])
  const opened = exports.server.exports.open(`view/${VOLUME.on}`)
  viewChange(VOLUME.on, false)
  t.equal(opened?.revoked.aborted, true)
  t.equal(exports.exportName(VOLUME.on, 'view'), undefined)
  viewChange('bbbbbbbb-0000-4000-8000-000000000009', true)
  t.equal(exports.exportName('bbbbbbbb-0000-4000-8000-000000000009', 'view'), undefined)
})

t.test('a failure other than VIEW_NOT_FOUND while asking about a view is not taken for an off view', async (t) => {
  const { source } = recorded()
  source.viewFacts = () => { throw new CdpError('INTERNAL', 'disk gone') }
  await t.rejects(serveVolumeExports(source, { port: 0, secretNames: false }), { message: 'disk gone' })
  source.viewFacts = () => { throw new Error('not a CdpError') }
  await t.rejects(serveVolumeExports(source, { port: 0, secretNames: false }), { message: 'not a CdpError' })
})

t.test('with secret names, the names revealed carry a secret and only those open the export', async (t) => {
  const { source } = recorded()
  const exports = await served(t, source, true)
  const name = exports.exportName(VOLUME.on, 'volume') ?? ''
  t.match(name, new RegExp(`^volume/${VOLUME.on}/[0-9a-f]{32}$`))
  t.equal(exports.server.exports.open(`volume/${VOLUME.on}`), undefined)
  t.ok(exports.server.exports.open(name))
  t.match(exports.exportName(VOLUME.on, 'view'), new RegExp(`^view/${VOLUME.on}/[0-9a-f]{32}$`))
})

t.test("a volume's device reads the image and writes through the simulator, trim and write-zeroes as zero fills of at most one write call's blocks", async (t) => {
  const { source, calls } = recorded()
  const exports = await served(t, source)
  const device = deviceOf(exports, VOLUME.on, 'volume')
  calls.length = 0
  t.strictSame(await device.read(KiB4, 2 * KiB4), Buffer.alloc(2 * KiB4, 1))
  const data = Buffer.alloc(KiB4, 7)
  await device.write(3 * KiB4, data)
  await device.flush()
  await device.trim(KiB4, KiB4)
  const step = 65536 * KiB4
  await device.writeZeroes(2 * KiB4, 2 * step + KiB4)
  await device.writeZeroes(0, step)
  t.strictSame(await device.extents(2 * KiB4, 4 * KiB4), [{ length: KiB4, hole: true, zero: true }, { length: KiB4, hole: false, zero: false }, { length: 2 * KiB4, hole: true, zero: true }])
  t.strictSame(calls, [
    ['readImage', VOLUME.on, KiB4, 2 * KiB4],
    ['write', VOLUME.on, [{ offset: 3 * KiB4, data }]],
    ['write', VOLUME.on, [{ offset: KiB4, length: KiB4, fill: 0 }]],
    ['write', VOLUME.on, [{ offset: 2 * KiB4, length: step, fill: 0 }]],
    ['write', VOLUME.on, [{ offset: 2 * KiB4 + step, length: step, fill: 0 }]],
    ['write', VOLUME.on, [{ offset: 2 * KiB4 + 2 * step, length: KiB4, fill: 0 }]],
    ['write', VOLUME.on, [{ offset: 0, length: step, fill: 0 }]],
    ['allocated', VOLUME.on, 2 * KiB4, 4 * KiB4, false]
  ], 'flush asks nothing: every write committed before it was answered')
})

t.test("a view's device reads the view, refuses every change with EPERM, and asks the view's allocation", async (t) => {
  const { source, calls } = recorded()
  const exports = await served(t, source)
  const view = deviceOf(exports, VOLUME.on, 'view')
  calls.length = 0
  t.strictSame(await view.read(0, KiB4), Buffer.alloc(KiB4, 2))
  const readOnly = { errno: ERRNO.EPERM, message: 'a view is read-only' }
  t.strictSame(await refusal(() => view.write(0, Buffer.alloc(KiB4))), readOnly)
  t.strictSame(await refusal(() => view.trim(0, KiB4)), readOnly)
  t.strictSame(await refusal(() => view.writeZeroes(0, KiB4)), readOnly)
  await view.flush()
  t.strictSame(await view.extents(0, 2 * KiB4), [{ length: KiB4, hole: true, zero: true }, { length: KiB4, hole: false, zero: false }])
  t.strictSame(calls, [['readView', VOLUME.on, 0, KiB4], ['allocated', VOLUME.on, 0, 2 * KiB4, true]])
})

t.test("the simulator's refusals reach the client as NBD errors: a view gone is ESHUTDOWN, a bad write EINVAL, any other EIO", async (t) => {
  const { source, failNext } = recorded()
  const exports = await served(t, source)
  const volume = deviceOf(exports, VOLUME.on, 'volume')
  const view = deviceOf(exports, VOLUME.on, 'view')
  const viewOff = { errno: ERRNO.ESHUTDOWN, message: 'the view is off' }
  const cases: Array<[string, () => unknown, CdpError, number | typeof viewOff]> = [
    ['view read', () => view.read(0, KiB4), new CdpError('VIEW_NOT_FOUND', VOLUME.on), viewOff],
    ['view extents', () => view.extents(0, KiB4), new CdpError('VIEW_NOT_FOUND', VOLUME.on), viewOff],
    ['write', () => volume.write(0, Buffer.alloc(KiB4)), new CdpError('INVALID_WRITE', 'past the end'), ERRNO.EINVAL],
    ['trim', () => volume.trim(0, KiB4), new CdpError('INVALID_WRITE', 'unaligned'), ERRNO.EINVAL],
    ['write-zeroes', () => volume.writeZeroes(0, KiB4), new CdpError('INTERNAL', 'disk gone'), ERRNO.EIO],
    ['read', () => volume.read(0, KiB4), new CdpError('VOLUME_NOT_FOUND', 'gone'), ERRNO.EIO],
    ['extents', () => volume.extents(0, KiB4), new CdpError('INTERNAL', 'x'), ERRNO.EIO]
  ]
  for (const [what, call, thrown, expected] of cases) {
    failNext(thrown)
    // Other than a view gone, the refusal's own message is passed on.
    t.strictSame(await refusal(call), typeof expected === 'number' ? { errno: expected, message: thrown.message } : expected, what)
  }
  failNext(new RangeError('a bug of ours'))
  t.equal(await refusal(() => volume.read(0, KiB4)), 'not an NbdError: RangeError: a bug of ours', 'a failure that is not a refusal passes on as it is')
})

t.test('extents: holes of zeros between the allocated runs, none of length 0 at either end', async (t) => {
  const hole = (blocks: number): unknown => ({ length: blocks * KiB4, hole: true, zero: true })
  const data = (blocks: number): unknown => ({ length: blocks * KiB4, hole: false, zero: false })
  t.strictSame(extentsOf([], 2 * KiB4, 3 * KiB4), [hole(3)])
  t.strictSame(extentsOf([{ first: 3, count: 2 }, { first: 7, count: 1 }], 2 * KiB4, 8 * KiB4), [hole(1), data(2), hole(2), data(1), hole(2)])
  t.strictSame(extentsOf([{ first: 2, count: 2 }, { first: 5, count: 1 }], 2 * KiB4, 4 * KiB4), [data(2), hole(1), data(1)])
})
