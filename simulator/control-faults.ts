// /sim/v1/faults: add, list and remove fault rules (simulator/faults.ts) over HTTP, in the
// control API's envelope. A rule that cannot work is a 400 and is not stored.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { succeeded } from '../src/envelope.js'
import { CdpError } from '../src/errors.js'
import { StringEnum, Uuid, responses } from '../src/schemas/common.js'
import { FAULT_OPERATIONS, MAX_LATENCY_MS, type FaultRule, type FaultRuleInput } from './faults.js'

/** Where the rules live: one simulator's FaultRules, or every agent of a cluster (cluster-control.ts). */
export interface FaultRuleStore {
  add: (input: FaultRuleInput) => FaultRule | Promise<FaultRule>
  list: () => FaultRule[] | Promise<FaultRule[]>
  /** False when there is no such rule. */
  remove: (id: string) => boolean | Promise<boolean>
  /** Removes every rule; answers how many there were. */
  clear: () => number | Promise<number>
}

export interface FaultRoutesOptions {
  faults: FaultRuleStore
}

const UINT32_MAX = 2 ** 32 - 1

/** The request parser keeps every number that is not a plain integer as its text (exactness), so a fraction arrives as text. */
const Probability = Type.Union([
  Type.Integer({ minimum: 0, maximum: 1 }),
  Type.String({ pattern: '^(0(\\.[0-9]{1,15})?|1(\\.0{1,15})?)$' })
], { description: '每次匹配调用命中的概率，0到1' })

const ruleFields = {
  operation: StringEnum(FAULT_OPERATIONS, 'CdpBackend操作名（edit、enable、disable、list、info、clean、viewOn、viewOff、revert），或NBD导出的nbd_read、nbd_write'),
  volume_uuid: Type.Optional(Uuid('只对涉及该卷的调用生效')),
  probability: Type.Number({ minimum: 0, maximum: 1, description: '每次匹配调用命中的概率' }),
  count: Type.Optional(Type.Integer({ minimum: 1, description: '最多命中次数，之后规则不再生效' })),
  latency_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_LATENCY_MS, description: '命中时延迟的毫秒数' })),
  scode: Type.Optional(Type.Integer({ description: '命中时以该scode（错误码表中的）失败' })),
  drop: Type.Optional(Type.Boolean({ description: '命中时断开连接、不作应答（与scode二选一）' }))
}

const FaultRuleBody = Type.Object({
  ...ruleFields,
  probability: Probability,
  seed: Type.Optional(Type.Integer({ minimum: 0, maximum: UINT32_MAX, description: '随机数种子（uint32），相同种子命中相同' })),
  id: Type.Optional(Uuid('规则id（集群控制服务用它让每个代理的同一规则同名），缺省时生成'))
})

export const FaultRuleRecord = Type.Object({
  id: Type.String({ description: '规则id' }),
  ...ruleFields,
  seed: Type.Integer({ description: '随机数种子' }),
  matched: Type.Integer({ description: '匹配的调用次数' }),
  fired: Type.Integer({ description: '命中的次数' })
})

const IdParams = Type.Object({ id: Uuid('规则id') })

const faultRoutes: FastifyPluginAsyncTypebox<FaultRoutesOptions> = async (app, { faults }) => {
  app.post('/faults', {
    schema: { summary: '添加故障规则：按概率让操作失败（scode）、延迟（latency_ms）或断开连接（drop）', body: FaultRuleBody, response: responses(FaultRuleRecord) }
  }, async (request) => succeeded(await faults.add({ ...request.body, probability: Number(request.body.probability) })))

  app.get('/faults', {
    schema: { summary: '故障规则及其命中次数', response: responses(Type.Object({ rules: Type.Array(FaultRuleRecord) })) }
  }, async () => succeeded({ rules: await faults.list() }))

  app.delete('/faults', {
    schema: { summary: '删除全部故障规则', response: responses(Type.Object({ removed: Type.Integer() })) }
  }, async () => succeeded({ removed: await faults.clear() }))

  app.delete('/faults/:id', {
    schema: { summary: '删除一条故障规则', params: IdParams, response: responses(Type.Object({ id: Type.String() })) }
  }, async (request) => {
    if (!await faults.remove(request.params.id)) throw new CdpError('FAULT_NOT_FOUND', request.params.id)
    return succeeded({ id: request.params.id.toLowerCase() })
  })
}

export default faultRoutes
