// The simulator's control API (/sim/v1/…): the clock, writes into volumes, images at any
// time, recoverable ranges and faults, for tests, local development and other teams'
// integration tests. Same envelope and errors as the CDP API.
import { type Static, Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { MountedPlugin } from '../src/app.js'
import { succeeded } from '../src/envelope.js'
import { CdpError } from '../src/errors.js'
import { UINT64_MAX, toUint64 } from '../src/json.js'
import { StringEnum, Uint64, Uint64Input, Uint64Query, Uuid, responses } from '../src/schemas/common.js'
import { NS_PER_SECOND } from '../src/backend/port.js'
import { BLOCK_SIZE as BLOCK } from './content.js'
import blockApi from './block-api.js'
import { DISK_STATES } from './disk-faults.js'
import { type BlockWrite, CONTROL_API_PREFIX, type NbdNames, type SimulatorControl } from './control.js'
import { acceptRawBodies, OCTET_STREAM } from './raw-body.js'

export interface ControlApiOptions {
  control: SimulatorControl
}

/** Blocks one writes request may touch: keeps one request's transaction short. */
export const MAX_BLOCKS_PER_WRITES = 16_384
const MAX_WRITES = 1024
/** A raw write's body: at most the blocks of one writes request, 64 MiB. */
export const MAX_RAW_WRITE_BYTES = MAX_BLOCKS_PER_WRITES * BLOCK
/** Base64 of 4 MiB. */
const MAX_DATA_CHARS = Math.ceil(4 * 1024 * 1024 / 3) * 4

const FillWrite = Type.Object({
  offset: Type.Integer({ minimum: 0, description: '字节偏移，4096对齐' }),
  length: Type.Integer({ minimum: BLOCK, description: '字节长度，4096的倍数' }),
  fill: Type.Integer({ minimum: 0, maximum: 255, description: '填充的字节值' })
})
const DataWrite = Type.Object({
  offset: Type.Integer({ minimum: 0, description: '字节偏移，4096对齐' }),
  data: Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', maxLength: MAX_DATA_CHARS, description: '写入内容（base64），长度为4096的倍数' })
})

const WritesBody = Type.Object({
  writes: Type.Array(Type.Union([FillWrite, DataWrite]), { minItems: 1, maxItems: MAX_WRITES, description: 'fill写入或base64 data写入' })
})

const Clock = Type.Object({
  now: Uint64('模拟器当前时间（纳秒）'),
  mode: StringEnum(['real', 'manual'], '时钟模式')
})
const ImageDigest = Type.Object({
  digest: Type.String({ description: '镜像内容的sha256：相同摘要即相同内容' }),
  time: Uint64('镜像所处的时间点（纳秒）')
})
const VolumeParams = Type.Object({ volume_uuid: Uuid('卷uuid') })

function toBlockWrite (write: { offset: number, length: number, fill: number } | { offset: number, data: string }): BlockWrite {
  return 'data' in write ? { offset: write.offset, data: Buffer.from(write.data, 'base64') } : write
}

function blocksOf (write: BlockWrite): number {
  return Math.ceil(('data' in write ? write.data.length : write.length) / BLOCK)
}

const controlApi: FastifyPluginAsyncTypebox<ControlApiOptions> = async (app, { control }) => {
  app.get('/clock', {
    schema: { summary: '模拟器时钟', response: responses(Clock) }
  }, async () => succeeded(await control.clock()))

  app.post('/clock/advance', {
    schema: {
      summary: '拨快手动时钟（仅manual模式）：seconds 或 nanoseconds 二选一',
      body: Type.Object({
        seconds: Type.Optional(Uint64Input('前进的秒数')),
        nanoseconds: Type.Optional(Uint64Input('前进的纳秒数'))
      }),
      response: responses(Clock)
    }
  }, async (request) => {
    const { seconds, nanoseconds } = request.body
    if ((seconds === undefined) === (nanoseconds === undefined)) {
      throw new CdpError('INVALID_PARAMETER', 'give exactly one of seconds, nanoseconds')
    }
    const by = seconds !== undefined ? toUint64(seconds, 'seconds') * NS_PER_SECOND : toUint64(nanoseconds as number | string, 'nanoseconds')
    if (by > UINT64_MAX) throw new CdpError('INVALID_UINT64', 'seconds in ns exceeds 2^64-1')
    await control.advance(by)
    return succeeded(await control.clock())
  })

  acceptRawBodies(app, MAX_RAW_WRITE_BYTES)
  app.post('/volumes/:volume_uuid/writes', {
    // For JSON; a raw body has its own limit, MAX_RAW_WRITE_BYTES.
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      summary: `写入卷（在当前时间，作为一次写入）；每次请求最多${MAX_WRITES}项、${MAX_BLOCKS_PER_WRITES}个4096字节块`,
      description: `JSON: writes, each a fill or base64 data. ${OCTET_STREAM}: the bytes themselves, written at ?offset=; ` +
        `offset and length 4096-aligned, at most ${MAX_RAW_WRITE_BYTES} bytes (64 MiB).`,
      params: VolumeParams,
      querystring: Type.Object({
        offset: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: `${OCTET_STREAM}写入的字节偏移，4096对齐（JSON写入不用）` }))
      }),
      body: {
        content: {
          'application/json': { schema: WritesBody },
          [OCTET_STREAM]: { schema: Type.String({ format: 'binary', description: `写入的原始字节，长度为4096的倍数，最多${MAX_RAW_WRITE_BYTES}字节` }) }
        }
      },
      response: responses(Type.Object({
        count: Type.Integer({ description: '写入项数' }),
        time: Uint64('写入时间（纳秒）')
      }))
    }
  }, async (request) => {
    const { offset } = request.query
    let writes: BlockWrite[]
    // Fastify validates a body by its content type: one sent with none is never checked.
    if (request.body === undefined) {
      throw new CdpError('MISSING_PARAMETER', `a body is required: JSON writes, or ${OCTET_STREAM} bytes at ?offset=`)
    }
    if (Buffer.isBuffer(request.body)) {
      if (offset === undefined) throw new CdpError('MISSING_PARAMETER', `a ${OCTET_STREAM} write needs ?offset=<bytes>`)
      writes = [{ offset, data: request.body }]
    } else {
      if (offset !== undefined) throw new CdpError('INVALID_PARAMETER', `offset is for a ${OCTET_STREAM} body; a JSON write carries its own`)
      writes = (request.body as Static<typeof WritesBody>).writes.map(toBlockWrite)
    }
    const blocks = writes.reduce((sum, write) => sum + blocksOf(write), 0)
    if (blocks > MAX_BLOCKS_PER_WRITES) {
      throw new CdpError('INVALID_WRITE', `one request may write at most ${MAX_BLOCKS_PER_WRITES} blocks, this one ${blocks}`)
    }
    return succeeded(await control.write(request.params.volume_uuid, writes))
  })

  app.get('/volumes/:volume_uuid/image', {
    schema: {
      summary: '卷内容摘要：当前，或 at 指定的可恢复时间点',
      params: VolumeParams,
      querystring: Type.Object({ at: Type.Optional(Uint64Query('时间点（纳秒）')) }),
      response: responses(ImageDigest)
    }
  }, async (request) => {
    const { at } = request.query
    return succeeded(await control.image(request.params.volume_uuid, at === undefined ? undefined : toUint64(at, 'at')))
  })

  app.get('/volumes/:volume_uuid/view/image', {
    schema: { summary: '卷的cdp查看所暴露镜像的摘要', params: VolumeParams, response: responses(ImageDigest) }
  }, async (request) => succeeded(await control.viewImage(request.params.volume_uuid)))

  app.get('/volumes/:volume_uuid/recoverable', {
    schema: {
      summary: '卷的可恢复时间范围（每个日志段一段）',
      params: VolumeParams,
      response: responses(Type.Object({
        ranges: Type.Array(Type.Object({
          from: Uint64('起始时间（纳秒）'),
          to: Uint64('结束时间（纳秒）'),
          seq: Uint64('日志段序号')
        }))
      }))
    }
  }, async (request) => succeeded(await control.recoverable(request.params.volume_uuid)))

  app.post('/hosts/:host_uuid/state', {
    schema: {
      summary: '主机上线/离线（离线主机上的日志段不可用）',
      params: Type.Object({ host_uuid: Uuid('主机uuid') }),
      body: Type.Object({ online: Type.Boolean({ description: '是否在线' }) }),
      response: responses(Type.Object({ online: Type.Boolean() }))
    }
  }, async (request) => {
    await control.setHostOnline(request.params.host_uuid, request.body.online)
    return succeeded({ online: request.body.online })
  })

  app.post('/hosts/:host_uuid/disks', {
    schema: {
      summary: 'CDP盘故障：failed（盘坏，日志段离线）、full（盘满，日志段不再增长）、ok（恢复）；故障期间卷照常写入但日志不记录，成为不可恢复的空档；故障盘上不能启用CDP',
      params: Type.Object({ host_uuid: Uuid('主机uuid') }),
      body: Type.Object({
        path: Type.String({ minLength: 1, maxLength: 4096, description: 'CDP盘路径，如/dev/sdd' }),
        state: StringEnum(DISK_STATES, '盘状态')
      }),
      response: responses(Type.Object({ path: Type.String(), state: StringEnum(DISK_STATES, '盘状态') }))
    }
  }, async (request) => {
    const { path, state } = request.body
    await control.setDiskState(request.params.host_uuid, path, state)
    return succeeded({ path, state })
  })

  app.post('/vms/:vm_uuid/state', {
    schema: {
      summary: '虚拟机运行/停止（运行中虚拟机的卷不能回滚）',
      params: Type.Object({ vm_uuid: Uuid('虚拟机uuid') }),
      body: Type.Object({ running: Type.Boolean({ description: '是否运行' }) }),
      response: responses(Type.Object({ running: Type.Boolean() }))
    }
  }, async (request) => {
    await control.setVmRunning(request.params.vm_uuid, request.body.running)
    return succeeded({ running: request.body.running })
  })
}

export default controlApi

/** The control API bound to one simulator, with its block routes (NBD names when exports are served), as buildApp mounts it. */
export function controlApiMount (control: SimulatorControl, nbd?: NbdNames): MountedPlugin {
  return {
    prefix: CONTROL_API_PREFIX,
    plugin: async (app) => {
      await app.register(controlApi, { control })
      await app.register(blockApi, { control, ...(nbd === undefined ? {} : { nbd }) })
    }
  }
}
