// `cdp-sim timeline VOLUME_UUID`: reads a volume's recoverable ranges and clock from the
// control API and its journal segments from the CDP `info` call (the API's GET …/cdp/info,
// or the agent protocol's POST /agent/v1/info when the URL is a `cdp-sim agent`), and draws
// them (timeline-chart.ts).
import { defineCommand, UsageError, type Command } from './command.js'
import type { Terminal } from './format.js'
import { CdpError } from '../../src/client/index.js'
import type { CdpInfo } from '../../src/backend/port.js'
import { AGENT_PREFIX, operations } from '../../src/backend/agent/protocol.js'
import { CONNECTION_OPTIONS, type SimClient, uint64, uuidArgument, withClient } from './remote.js'
import { renderTimeline, type Range, type Segment, type TimelineModel } from './timeline-chart.js'
import { CONTROL_API_PREFIX } from '../control.js'

const PLAIN_WIDTH = 80

interface VolumeRef { cluster_uuid: string, volume_uuid: string, tenant?: string }

/** The CDP info call: the API's endpoint, or the agent protocol's when the URL is an agent. */
async function info (client: SimClient, volume: VolumeRef): Promise<CdpInfo> {
  return await client.run(async (api) => {
    try {
      return await api.info(volume)
    } catch (err) {
      if (!(err instanceof CdpError && err.code === 'ROUTE_NOT_FOUND')) throw err
      return await api.call({ method: 'POST', path: `${AGENT_PREFIX}${operations.info.path}`, body: { volume } }, operations.info.answer)
    }
  })
}

function toSegment ({ seq, startTime, ioLastTime, use, capacity, online, usd_maddr: maddr, usd_path: path, snaps }: CdpInfo['cdp_info'][number]): Segment {
  return { seq, startTime, ioLastTime, use, capacity, online, usd_maddr: maddr, usd_path: path, snaps }
}

/** The point the volume's view shows; none if the view went away meanwhile. */
async function viewTime (client: SimClient, volume: string): Promise<bigint | undefined> {
  try {
    return uint64((await client.get(`${CONTROL_API_PREFIX}/volumes/${volume}/view/image`) as { time: unknown }).time, 'time')
  } catch (err) {
    if (err instanceof CdpError && err.code === 'VIEW_NOT_FOUND') return undefined
    throw err
  }
}

async function load (client: SimClient, volume: VolumeRef): Promise<TimelineModel> {
  const answer = await info(client, volume)
  const { ranges } = await client.get(`${CONTROL_API_PREFIX}/volumes/${volume.volume_uuid}/recoverable`) as { ranges: Array<Record<string, unknown>> }
  const clock = await client.get(`${CONTROL_API_PREFIX}/clock`) as { now: unknown, mode: string }
  const host = answer.host_uuid
  const time = host === '' ? undefined : await viewTime(client, volume.volume_uuid)
  return {
    volume: volume.volume_uuid,
    cluster: volume.cluster_uuid,
    now: uint64(clock.now, 'now'),
    clockMode: clock.mode,
    ranges: ranges.map((r): Range => ({ from: uint64(r.from, 'from'), to: uint64(r.to, 'to'), seq: uint64(r.seq, 'seq') })),
    segments: answer.cdp_info.map(toSegment),
    ...(host === '' ? {} : { view: { host, ...(time === undefined ? {} : { time }) } })
  }
}

export function timeline (terminal: Terminal | undefined): Command {
  return defineCommand({
    name: 'timeline',
    summary: 'Draw a volume\'s recoverable window: journal segments, snapshots, use against capacity, gaps, the view',
    description: [
      'Reads GET /sim/v1/volumes/VOLUME_UUID/recoverable and /sim/v1/clock, and the CDP info call:',
      'GET /v1/volume/internal/cdp/info on the API; when --url is a cdp-sim agent (which answers',
      'that path with scode 1010, no such endpoint) POST /agent/v1/info instead. Times are UTC',
      'with ns; --raw adds each time\'s ns since the epoch. Colours only on a terminal.'
    ].join('\n'),
    positionals: 'VOLUME_UUID',
    options: {
      ...CONNECTION_OPTIONS,
      cluster: { type: 'string', value: 'UUID', description: 'the volume\'s cluster (required)' },
      tenant: { type: 'string', value: 'UUID', description: 'the volume\'s tenant, when the call should be scoped to it' },
      raw: { type: 'boolean', description: 'print every time\'s ns since the epoch too' }
    },
    run: async (values, positionals, io) => {
      const [volumeUuid, ...extra] = positionals
      if (volumeUuid === undefined || extra.length > 0) throw new UsageError(`expected one VOLUME_UUID, not ${JSON.stringify(positionals.join(' '))}`)
      if (values.cluster === undefined) throw new UsageError('--cluster is required')
      const volume: VolumeRef = {
        cluster_uuid: uuidArgument(values.cluster, '--cluster'),
        volume_uuid: uuidArgument(volumeUuid, 'VOLUME_UUID'),
        ...(values.tenant === undefined ? {} : { tenant: uuidArgument(values.tenant, '--tenant') })
      }
      const model = await withClient(values, async (client) => await load(client, volume))
      const lines = renderTimeline(model, { width: terminal?.columns() ?? PLAIN_WIDTH, color: terminal?.color ?? false, raw: values.raw })
      for (const line of lines) io.out(line)
      return 0
    }
  })
}
