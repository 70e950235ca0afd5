// The control API's view of volumes as block devices (/sim/v1/…): a volume's facts and NBD
// URI, the view's, and images as raw bytes with HTTP Range, streamed a few MiB at a time.
import { Readable } from 'node:stream'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { succeeded } from '../src/envelope.js'
import { CdpError } from '../src/errors.js'
import { toUint64 } from '../src/json.js'
import { ErrorOutput, StringEnum, Uint64, Uint64Query, Uuid, responses } from '../src/schemas/common.js'
import { BLOCK_SIZE } from './content.js'
import type { Awaitable, NbdNames, SimulatorControl } from './control.js'

export interface BlockApiOptions {
  control: SimulatorControl
  /** Absent: NBD is off, and nbd_uri is null. */
  nbd?: NbdNames
}

/** Reads a block-aligned range of an image. */
type ImageReader = (offset: number, length: number) => Awaitable<Buffer>

/** Bytes read from the simulator per chunk of a raw image. */
const CHUNK = 4 * 1024 * 1024

const VolumeParams = Type.Object({ volume_uuid: Uuid('卷uuid') })
/** What a raw image route answers: bytes (all, or the Range asked for), or an envelope error. */
const RawImage = {
  200: Type.String({ format: 'binary', description: 'The whole image, application/octet-stream' }),
  206: Type.String({ format: 'binary', description: 'The bytes of the Range asked for, application/octet-stream' }),
  '4xx': ErrorOutput
}
const NbdUri = Type.Union([Type.String(), Type.Null()], { description: 'NBD导出的URI（NBD关闭或查看未开启时为null）' })
const VolumeFacts = Type.Object({
  uuid: Type.String({ description: '卷uuid' }),
  name: Type.String({ description: '卷名' }),
  size: Type.Integer({ description: '卷大小（字节）' }),
  tenant: Type.String({ description: '租户uuid' }),
  cdp_state: StringEnum(['on', 'off', 'none'], 'CDP状态（none：未配置CDP）'),
  nbd_uri: NbdUri
})
const ViewFacts = Type.Object({
  host_uuid: Type.String({ description: '查看所在主机' }),
  snapshot_name: Type.String({ description: '查看所用快照' }),
  time: Uint64('查看的时间点（纳秒）'),
  nbd_uri: NbdUri
})

/** The one byte range a Range header asks for inside size bytes ([first, end)), or the whole image. */
export function byteRange (header: string | undefined, size: number): { first: number, end: number, partial: boolean } {
  if (header === undefined) return { first: 0, end: size, partial: false }
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  const [from, to] = [match?.[1] ?? '', match?.[2] ?? '']
  if (match === null || (from === '' && to === '')) throw new CdpError('RANGE_NOT_SATISFIABLE', header)
  // bytes=-N is the last N bytes; bytes=N- runs to the end.
  const first = from === '' ? Math.max(0, size - Number(to)) : Number(from)
  const end = from === '' || to === '' ? size : Math.min(size, Number(to) + 1)
  if (!(first < end)) throw new CdpError('RANGE_NOT_SATISFIABLE', header)
  return { first, end, partial: true }
}

/** Streams [first, end) of an image, read in block-aligned chunks. */
function imageStream (read: ImageReader, first: number, end: number): Readable {
  return Readable.from((async function * () {
    let at = first
    while (at < end) {
      const aligned = at - (at % BLOCK_SIZE)
      const stop = Math.min(end, aligned + CHUNK)
      const alignedStop = Math.ceil(stop / BLOCK_SIZE) * BLOCK_SIZE
      yield (await read(aligned, alignedStop - aligned)).subarray(at - aligned, stop - aligned)
      at = stop
    }
  })())
}

const blockApi: FastifyPluginAsyncTypebox<BlockApiOptions> = async (app, { control, nbd }) => {
  const sizeOf = async (uuid: string): Promise<number> => {
    const volume = (await control.volumes()).find((v) => v.uuid === uuid.toLowerCase())
    if (volume === undefined) throw new CdpError('VOLUME_NOT_FOUND', uuid)
    return volume.size
  }
  const uriOf = (uuid: string, kind: 'volume' | 'view'): string | null => {
    const name = nbd?.exportName(uuid, kind)
    return name === undefined || nbd === undefined ? null : nbd.uri(name)
  }

  app.get('/volumes/:volume_uuid', {
    schema: { summary: '卷的基本信息与NBD导出', params: VolumeParams, response: responses(VolumeFacts) }
  }, async (request) => {
    const uuid = request.params.volume_uuid.toLowerCase()
    const volume = (await control.volumes()).find((v) => v.uuid === uuid)
    if (volume === undefined) throw new CdpError('VOLUME_NOT_FOUND', uuid)
    return succeeded({ ...volume, nbd_uri: uriOf(uuid, 'volume') })
  })

  app.get('/volumes/:volume_uuid/view', {
    schema: { summary: '卷当前开启的cdp查看与其NBD导出', params: VolumeParams, response: responses(ViewFacts) }
  }, async (request) => {
    const uuid = request.params.volume_uuid
    return succeeded({ ...(await control.viewFacts(uuid)), nbd_uri: uriOf(uuid, 'view') })
  })

  app.get('/volumes/:volume_uuid/image/raw', {
    schema: {
      summary: '卷镜像的原始字节（当前或某个可恢复时间点），支持HTTP Range',
      params: VolumeParams,
      querystring: Type.Object({ at: Type.Optional(Uint64Query('时间点（纳秒）；省略则为当前')) }),
      response: RawImage
    }
  }, async (request, reply) => {
    const uuid = request.params.volume_uuid
    const at = request.query.at === undefined ? undefined : toUint64(request.query.at, 'at')
    const size = await sizeOf(uuid)
    // Checked before the first byte goes out: an unrecoverable point is an envelope error.
    await control.readImage(uuid, 0, Math.min(size, BLOCK_SIZE), at)
    return sendImage(reply, request.headers.range, size, (offset, length) => control.readImage(uuid, offset, length, at))
  })

  app.get('/volumes/:volume_uuid/view/raw', {
    schema: { summary: '卷cdp查看所暴露镜像的原始字节，支持HTTP Range', params: VolumeParams, response: RawImage }
  }, async (request, reply) => {
    const uuid = request.params.volume_uuid
    await control.viewFacts(uuid)
    const size = await sizeOf(uuid)
    return sendImage(reply, request.headers.range, size, (offset, length) => control.readView(uuid, offset, length))
  })
}

function sendImage (reply: FastifyReply, header: string | undefined, size: number, read: ImageReader): FastifyReply {
  // A 416 says how long the image is.
  reply.header('content-range', `bytes */${size}`)
  const range = byteRange(header, size)
  reply.header('content-type', 'application/octet-stream')
  reply.header('accept-ranges', 'bytes')
  reply.header('content-length', range.end - range.first)
  if (range.partial) reply.code(206).header('content-range', `bytes ${range.first}-${range.end - 1}/${size}`)
  else reply.removeHeader('content-range')
  return reply.send(imageStream(read, range.first, range.end))
}

export default blockApi
