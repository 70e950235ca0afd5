// The simulator as a test harness: a simulator with fault rules in front of it, and the
// /sim/v1 calls that act on it as a whole — reset, save and load of its state, snapshots on
// demand, fault rules. Every server of the simulator (the API on it, `cdp-sim agent`) mounts
// these beside the control API.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { buildApp, type AppOptions } from '../src/app.js'
import { simulatorAppOptions } from './app-options.js'
import type { CdpBackend } from '../src/backend/port.js'
import { succeeded } from '../src/envelope.js'
import { CdpError } from '../src/errors.js'
import { ErrorOutput, Uint64, Uuid, responses } from '../src/schemas/common.js'
import faultRoutes, { type FaultRuleStore } from './control-faults.js'
import type { HarnessControl, NbdNames, SimulatorControl } from './control.js'
import { FaultRules, withFaults } from './faults.js'
import type { VolumeSource } from './nbd/volume-exports.js'
import type { SimulatorOptions } from './options.js'
import { Simulator } from './simulator.js'
import { parseTopology, type Topology } from './topology.js'

/** The largest state file PUT /sim/v1/state takes. */
export const MAX_STATE_BYTES = 256 * 1024 * 1024
export const STATE_MEDIA_TYPE = 'application/vnd.sqlite3'
const MAX_SNAPSHOT_VOLUMES = 1000

/** A simulator as the servers use it: in process (a Simulator) or in its worker thread. */
export type HarnessSimulator = CdpBackend & SimulatorControl & HarnessControl & VolumeSource

export interface Harness<S extends HarnessSimulator = HarnessSimulator> {
  simulator: S
  faults: FaultRules
  /** The simulator behind its fault rules: what an API or agent server serves. */
  backend: CdpBackend
}

/** Fault rules in front of a simulator; they live on the thread that serves HTTP. */
export function harnessOver<S extends HarnessSimulator> (simulator: S): Harness<S> {
  const faults = new FaultRules()
  return { simulator, faults, backend: withFaults(simulator, faults) }
}

/** A simulator in process: its calls run on the caller's thread (tests, volume-cdp/testing). */
export function openHarness (options: SimulatorOptions): Harness<Simulator> {
  return harnessOver(new Simulator(options))
}

export interface HarnessRoutesOptions {
  control: HarnessControl & Pick<SimulatorControl, 'clock'>
  faults: FaultRuleStore
}

/** The topology a reset body names, checked as a topology file is; undefined for none. */
function topologyOf (body: unknown): Topology | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body !== 'object' || Array.isArray(body)) throw new CdpError('INVALID_PARAMETER', 'body must be an object: {"topology": {…}} or nothing')
  const { topology } = body as { topology?: unknown }
  try {
    return topology === undefined ? undefined : parseTopology(topology, 'topology')
  } catch (err) {
    throw new CdpError('INVALID_PARAMETER', (err as Error).message)
  }
}

/** A scratch directory for one state file, removed afterwards. */
async function withScratch<T> (fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'cdp-sim-state-'))
  try {
    return await fn(join(dir, 'state.db'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const harnessRoutes: FastifyPluginAsyncTypebox<HarnessRoutesOptions> = async (app, { control, faults }) => {
  await app.register(faultRoutes, { faults })

  // No body schema: the body is optional, and Fastify refuses a missing one when a schema is set.
  app.post('/reset', {
    schema: {
      summary: '恢复到拓扑的初始状态（一个事务）：手动时钟回到起点，实时时钟继续走；故障规则清空。可选请求体 {"topology": {…}} 换成另一个拓扑',
      response: responses(Type.Object({ now: Uint64('重置后的当前时间（纳秒）') }))
    }
  }, async (request) => {
    await control.reset(topologyOf(request.body))
    await faults.clear()
    return succeeded({ now: (await control.clock()).now })
  })

  app.get('/state', {
    schema: {
      summary: '整个模拟器状态的SQLite文件（在线备份，期间照常服务）',
      // A Buffer goes out as it is; the schema names it for the OpenAPI document.
      response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: STATE_MEDIA_TYPE }), '4xx': ErrorOutput, '5xx': ErrorOutput }
    }
  }, async (_request, reply) => {
    const bytes = await withScratch(async (file) => await control.saveState(file))
    return await reply.type(STATE_MEDIA_TYPE).send(bytes)
  })

  app.addContentTypeParser([STATE_MEDIA_TYPE, 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: MAX_STATE_BYTES }, (_request, body, done) => {
    done(null, body)
  })
  app.put('/state', {
    bodyLimit: MAX_STATE_BYTES,
    schema: {
      summary: `载入GET /sim/v1/state保存的状态文件（${MAX_STATE_BYTES / 1024 / 1024} MiB以内；检查结构版本与完整性，坏文件不改变当前状态）`,
      response: responses(Type.Object({ now: Uint64('载入后的当前时间（纳秒）') }))
    }
  }, async (request) => {
    if (!Buffer.isBuffer(request.body)) throw new CdpError('INVALID_STATE_FILE', `send the file as ${STATE_MEDIA_TYPE} or application/octet-stream`)
    const bytes = request.body
    await withScratch(async (file) => {
      await writeFile(file, bytes)
      await control.loadState(file)
    })
    return succeeded({ now: (await control.clock()).now })
  })

  app.post('/snapshots', {
    schema: {
      summary: '立即为各卷打一个自动快照（每卷每秒至多一个；该秒已有则taken为false）',
      body: Type.Object({ volumes: Type.Array(Uuid('卷uuid'), { minItems: 1, maxItems: MAX_SNAPSHOT_VOLUMES }) }),
      response: responses(Type.Object({
        snapshots: Type.Array(Type.Object({
          volume_uuid: Type.String(),
          name: Type.String({ description: '快照名 CDP-auto-<秒>' }),
          time: Uint64('快照时间（纳秒）'),
          taken: Type.Boolean({ description: '是否新打的（false：该秒已有）' })
        }))
      }))
    }
  }, async (request) => succeeded({ snapshots: await control.takeSnapshots(request.body.volumes) }))
}

export default harnessRoutes

/** What the simulator behind `harness` adds to buildApp: its backend with fault rules, the control API with the harness calls, its gauges. */
export function harnessAppOptions (harness: Harness, nbd?: NbdNames): Required<Pick<AppOptions, 'backend' | 'controlApi' | 'registerGauges'>> {
  const { controlApi, registerGauges } = simulatorAppOptions(harness.simulator, nbd)
  return {
    backend: harness.backend,
    controlApi: {
      prefix: controlApi.prefix,
      plugin: async (app) => {
        await app.register(controlApi.plugin)
        await app.register(harnessRoutes, { control: harness.simulator, faults: harness.faults })
      }
    },
    registerGauges
  }
}

/** The CDP API on the simulator, as `npm start` builds it: fault rules in front, /sim/v1 complete. */
export async function buildSimulatorApp (harness: Harness, options: Omit<AppOptions, 'backend' | 'controlApi' | 'registerGauges'> = {}): Promise<FastifyInstance> {
  return await buildApp({ ...options, ...harnessAppOptions(harness) })
}
