// The simulator as a node agent: the agent protocol v1 (src/backend/agent/protocol.ts)
// served over a simulated cluster, with the simulator's control API at /sim/v1 on the same
// port, so the production client (AgentBackend) is tested against a real process.
import swagger from '@fastify/swagger'
import type { FastifyPluginAsync, FastifyServerOptions } from 'fastify'
import { printExact } from '../src/json.js'
import {
  AGENT_PREFIX, AGENT_PROTOCOL_VERSION, AgentFeature, UINT64_STRINGS_MEDIA, decode, namesUint64Strings, operations,
  type AgentAnswer, type AgentRequest, type Operation
} from '../src/backend/agent/protocol.js'
import type { BatchOutcome, CdpBackend, GroupResult } from '../src/backend/port.js'
import { succeeded } from '../src/envelope.js'
import { stringifyUint64Strings } from '../src/json.js'
import { createHttpApp, type HttpApp } from '../src/http-app.js'
import { responses } from '../src/schemas/common.js'
import blockApi from './block-api.js'
import controlApi from './control-api.js'
import { CONTROL_API_PREFIX, type HarnessControl, type NbdNames, type SimulatorControl } from './control.js'
import harnessRoutes from './harness.js'
import { FaultRules, withFaults } from './faults.js'

/** What the agent serves: a cluster's CDP and the simulator's knobs (a `Simulator`). */
export type AgentSimulator = CdpBackend & SimulatorControl & HarnessControl

export interface AgentServerOptions {
  /** The app closes it when it closes. */
  simulator: AgentSimulator
  /** The fault rules in front of the protocol (/sim/v1/faults edits them); fresh if absent. */
  faults?: FaultRules
  logger?: FastifyServerOptions['logger']
  /** The simulator's NBD exports, when served: /sim/v1 reveals their URIs. */
  nbd?: NbdNames
}

type Handlers = { [Op in Operation]: (request: AgentRequest<Op>) => Promise<AgentAnswer<Op>> }

function batchItem (outcome: BatchOutcome): AgentAnswer<'edit'>['results'][number] {
  return outcome.ok
    ? { scode: 0, desc: '', volume: outcome.volume }
    : { scode: outcome.error.entry.scode, desc: outcome.error.desc, volume: outcome.volume }
}

function batchAnswer (outcomes: BatchOutcome[]): AgentAnswer<'edit'> {
  return { results: outcomes.map(batchItem) }
}

function groupAnswer ({ time, outcomes }: GroupResult): AgentAnswer<'groupRevert'> {
  return {
    time,
    results: outcomes.map((outcome) => ({
      ...batchItem(outcome),
      snapshot_name: outcome.snapshot_name,
      host_uuid: outcome.host_uuid
    }))
  }
}

function handlers (simulator: CdpBackend): Handlers {
  return {
    edit: async ({ policy, volumes }) => batchAnswer(await simulator.edit(policy, volumes)),
    enable: async ({ volumes }) => batchAnswer(await simulator.enable(volumes)),
    disable: async ({ volumes }) => batchAnswer(await simulator.disable(volumes)),
    list: async ({ cluster_uuid: clusterUuid, tenant, filter_name: filterName, namespaces, exclude_namespaces: excludeNamespaces, limit, offset = 0, after }) => {
      // The API pages by whole pages (offset a multiple of limit); any other offset reads from the start and skips.
      const aligned = limit > 0 && offset % limit === 0
      const result = await simulator.list({
        cluster_uuid: clusterUuid,
        tenant,
        filter_name: filterName,
        namespaces,
        exclude_namespaces: excludeNamespaces,
        page_num: aligned ? offset / limit : 0,
        page_size: aligned || limit === 0 ? limit : offset + limit,
        ...(after === undefined ? {} : { after })
      })
      // The cluster's name and mode come with each range; when no range is left (all
      // excluded, or none visible to the tenant) a one-item look at the whole cluster names it.
      const named = result.each_range_list_state[0] ??
        (await simulator.list({ cluster_uuid: clusterUuid, page_num: 0, page_size: 1 })).each_range_list_state[0]
      return {
        cluster: { uuid: named?.cluster_uuid ?? clusterUuid, name: named?.cluster_name ?? '', mode: named?.cluster_mode ?? '' },
        ranges: result.each_range_list_state.map((range) => ({ namespace_uuid: range.namespace_uuid, total_count: range.total_count })),
        items: aligned ? result.List : result.List.slice(offset),
        ...(result.before === undefined ? {} : { before: result.before })
      }
    },
    info: async ({ volume }) => await simulator.info(volume),
    clean: async ({ volume, usd_seq: usdSeq }) => {
      await simulator.clean(volume, usdSeq)
      return {}
    },
    viewOn: async ({ volume, point }) => await simulator.viewOn(volume, point),
    viewOff: async ({ volume }) => {
      await simulator.viewOff(volume)
      return {}
    },
    revert: async ({ volume, point }) => {
      await simulator.revert(volume, point)
      return {}
    },
    window: async ({ volume }) => await simulator.window(volume),
    events: async ({ volume, ...query }) => await simulator.events(volume, query),
    protection: async ({ limit }) => {
      const { volumes, omitted } = await simulator.protection(limit)
      return { total_count: volumes.length + omitted, volumes }
    },
    groupMembers: async (vm) => ({ volumes: await simulator.groupMembers(vm) }),
    groupViewOn: async ({ volumes, timestamp }) => groupAnswer(await simulator.groupViewOn(volumes, timestamp)),
    groupViewOff: async ({ volumes }) => groupAnswer(await simulator.groupViewOff(volumes)),
    groupRevert: async ({ volumes, timestamp }) => groupAnswer(await simulator.groupRevert(volumes, timestamp)),
    changes: async ({ volume, ...query }) => await simulator.changes(volume, query),
    health: async () => ({ protocol: AGENT_PROTOCOL_VERSION, features: [AgentFeature.uint64Strings, AgentFeature.listAfter] })
  }
}

/**
 * Every operation as `POST /agent/v1/<path>`. The body schema is there for the OpenAPI
 * document; `decode` validates the body (Ajv knows no bigint) and makes uint64s bigint.
 * Answers are printed by lossless-json, so bigints go out as exact JSON integers, or, to a
 * request that accepts UINT64_STRINGS_MEDIA, by JSON.stringify with bigints as decimal strings.
 */
const agentRoutes: FastifyPluginAsync<{ simulator: CdpBackend }> = async (app, { simulator }) => {
  const handle = handlers(simulator)
  app.setValidatorCompiler(() => () => true)
  app.setReplySerializer((payload) => printExact(payload))
  for (const op of Object.keys(operations) as Operation[]) {
    const { path, summary, request, answer } = operations[op]
    // One generic route for every operation: the handler's type is the operation's own.
    const run = handle[op] as (input: unknown) => Promise<unknown>
    app.post(path, {
      schema: { operationId: op, summary, tags: ['agent'], body: request, response: responses(answer) }
    }, async (req, reply) => {
      const data = await run(decode(request, req.body, 'INVALID_PARAMETER'))
      if (namesUint64Strings(req.headers.accept)) void reply.type(UINT64_STRINGS_MEDIA).serializer(stringifyUint64Strings)
      return succeeded(data)
    })
  }
}

export const AGENT_OPENAPI_INFO = {
  title: 'volume-cdp node agent protocol',
  description: 'What the volume-cdp API sends to the node agent of a storage cluster. Every operation is POST with a JSON body and answers the envelope {scode, desc, message, message_cn, stack, data}; uint64 fields are exact JSON integers (parse them losslessly), a decimal string is accepted in requests. See docs/agent-protocol.md.',
  version: String(AGENT_PROTOCOL_VERSION)
}

export async function buildAgentServer (options: AgentServerOptions): Promise<HttpApp> {
  const app = createHttpApp({ logger: options.logger })
  await app.register(swagger, {
    openapi: { openapi: '3.0.3', info: AGENT_OPENAPI_INFO },
    // The document is the protocol a real agent implements; /sim/v1 is the simulator's own.
    transform: ({ schema, url }) => ({ schema: url.startsWith(AGENT_PREFIX) ? schema : { ...schema, hide: true }, url })
  })
  const faults = options.faults ?? new FaultRules()
  await app.register(agentRoutes, { prefix: AGENT_PREFIX, simulator: withFaults(options.simulator, faults) })
  await app.register(controlApi, { prefix: CONTROL_API_PREFIX, control: options.simulator })
  await app.register(harnessRoutes, { prefix: CONTROL_API_PREFIX, control: options.simulator, faults })
  await app.register(blockApi, { prefix: CONTROL_API_PREFIX, control: options.simulator, ...(options.nbd === undefined ? {} : { nbd: options.nbd }) })
  app.addHook('onClose', async () => { await options.simulator.close() })
  return app
}
