// Small fault-injecting agents on 127.0.0.1 for the AgentBackend tests: each answers as
// its test scripts it (an envelope, garbage, silence, a reset) and records what it saw.
// A script that throws (one not written for the request) is answered with an empty 500.
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer, type ServerOptions } from 'node:https'
import { once } from 'node:events'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { AddressInfo } from 'node:net'
import { createAgentBackend, type AgentBackend, type AgentBackendOptions } from '../../src/backend/agent/backend.js'
import type { CdpListItem } from '../../src/backend/port.js'
import { AgentFeature, UINT64_STRINGS_MEDIA } from '../../src/backend/agent/protocol.js'
import { CdpError, Scode, type ScodeName } from '../../src/errors.js'
import { stringifyUint64Strings } from '../../src/json.js'
import { parseLossless, stringifyLossless } from './app.js'
import type { AgentRoute } from '../../src/backend/agent/routing.js'
import { DEMO } from './demo.js'

/** An answer written whole. */
export interface Written { status: number, body: string, headers?: Record<string, string> }

/** What an agent does with one request. */
export type Reply =
  | Written
  /** A body written piece by piece as the client takes it (no content-length), until it ends or the client leaves. */
  | { status: number, stream: () => AsyncIterable<string | Buffer>, headers?: Record<string, string> }
  | 'hang'
  /** Reads the request, then resets the connection (TCP RST). */
  | 'reset'

export interface Seen {
  /** The operation's path under /agent/v1, e.g. "/info". */
  op: string
  // Tests read request bodies by field; the shape is what they assert.
  body: any
  headers: IncomingHttpHeaders
}

export interface FakeAgent {
  url: string
  port: number
  /**
   * Every request but `/health`, which the client also asks in the background once an agent
   * has answered (to learn its features), at a moment no test should depend on.
   */
  seen: Seen[]
  /** The `/health` requests. */
  health: Seen[]
  /** The requests for one operation (`/health` included). */
  count: (op: string) => number
  close: () => Promise<void>
}

interface Teardown { teardown: (fn: () => unknown) => void }

export function ok (data: unknown): Written {
  return { status: 200, body: stringifyLossless({ scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data }) }
}

/** `ok`, as an agent listing `uint64-strings` answers a request that accepts it. */
export function okStrings (data: unknown): Written {
  return {
    status: 200,
    body: stringifyUint64Strings({ scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data }),
    headers: { 'content-type': UINT64_STRINGS_MEDIA }
  }
}

/** The health answer of an agent that lists `uint64-strings`. */
export const HEALTH_WITH_STRINGS = ok({ protocol: 1, features: [AgentFeature.uint64Strings] })

export function fail (code: ScodeName, desc = ''): Written {
  const { scode, status, message, message_cn: messageCn } = Scode[code]
  return { status, body: stringifyLossless({ scode, desc, message, message_cn: messageCn, stack: null, data: null }) }
}

/** Starts an agent on 127.0.0.1 (a given port, to play an agent coming back), stopped at teardown. */
export async function startAgent (t: Teardown, handle: (seen: Seen) => Reply | Promise<Reply>, options: { port?: number, tls?: ServerOptions } = {}): Promise<FakeAgent> {
  const seen: Seen[] = []
  const health: Seen[] = []
  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', async () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const request: Seen = { op: (req.url ?? '').replace(/^\/agent\/v1/, ''), body: text === '' ? undefined : parseLossless(text), headers: req.headers }
      ;(request.op === '/health' ? health : seen).push(request)
      let reply: Reply
      try {
        reply = await handle(request)
      } catch {
        // A script that did not expect the request (a background health probe, say).
        reply = { status: 500, body: '' }
      }
      if (reply === 'hang') return
      if (reply === 'reset') {
        req.socket.resetAndDestroy()
        return
      }
      if ('stream' in reply) {
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers })
        // The client dropping the answer midway is what these tests provoke.
        pipeline(Readable.from(reply.stream()), res).catch(() => {})
        return
      }
      const isJson = reply.body.startsWith('{')
      res.writeHead(reply.status, { 'content-type': isJson ? 'application/json' : 'text/html', ...reply.headers })
      res.end(reply.body)
    })
  }
  const server: Server = options.tls === undefined ? createHttpServer(listener) : createHttpsServer(options.tls, listener)
  server.listen(options.port ?? 0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  t.teardown(close)
  return {
    url: `${options.tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    port,
    seen,
    health,
    count: (op) => [...seen, ...health].filter((request) => request.op === op).length,
    close
  }
}

/** A loopback port with nothing listening on it (an agent that is down). */
export async function freePort (): Promise<number> {
  const server = createHttpServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** One route of the demo cluster to these URLs (all its namespaces). */
export function wholeCluster (...urls: string[]): AgentRoute[] {
  return [{ cluster_uuid: DEMO.cluster, urls }]
}

/** Where the fake agents' volumes live: the demo cluster, tenant ken. */
const KEN_IN_CLUSTER = {
  cluster_uuid: DEMO.cluster,
  cluster_name: 'cluster_name_236',
  cluster_mode: '',
  tenant: DEMO.ken,
  tenant_name: 'ken'
}

/** The identity an agent reports for a volume it has. */
export function identity (volumeUuid: string, name = `vol-${volumeUuid.slice(0, 4)}`) {
  return {
    ...KEN_IN_CLUSTER,
    multiple: false,
    vm_type: '',
    volume_uuid: volumeUuid,
    volume_name: name,
    owner: ''
  }
}

/**
 * A batch answer from an agent that has exactly `has` among the volumes asked: those
 * succeed, the others are VOLUME_NOT_FOUND, as a real agent answers.
 */
export function batchFrom (has: readonly string[]) {
  return (seen: Seen): Reply => ok({
    results: (seen.body.volumes as Array<{ volume_uuid: string }>).map(({ volume_uuid: uuid }) => has.includes(uuid)
      ? { scode: 0, desc: '', volume: identity(uuid) }
      : { scode: Scode.VOLUME_NOT_FOUND.scode, desc: uuid, volume: { ...identity(uuid, ''), cluster_name: '', tenant: '', tenant_name: '' } })
  })
}

/** An AgentBackend over `routes` (short deadline, quick retries), closed at teardown. */
export function agentBackend (t: Teardown, routes: AgentRoute[], options: Partial<AgentBackendOptions> = {}): AgentBackend {
  const b = createAgentBackend({ routes, timeoutMs: 2000, retries: 2, concurrency: 4, backoffMs: 1, ...options })
  t.teardown(() => b.close())
  return b
}

/** The CdpError a call fails with (a test fails if it succeeds or throws anything else). */
export async function failure (call: Promise<unknown>): Promise<CdpError> {
  try {
    await call
  } catch (err) {
    if (err instanceof CdpError) return err
    throw err
  }
  throw new Error('expected the call to fail')
}

/** An info answer whose times are above 2^53 (and one at 2^64−1): any rounding would show. */
export const INFO = {
  cdp_info: [{
    snaps: [{ name: 'CDP-auto-1630060807', time: 1630060807123456789n }],
    seq: 0n,
    startTime: 1630060807123456789n,
    use: 4096n,
    capacity: 32212254720n,
    ioStartTime: 1630060807123456789n,
    ioLastTime: 18446744073709551615n,
    online: true,
    usd_maddr: '10.30.12.237',
    usd_path: '/dev/sdd'
  }],
  host_uuid: ''
}

/** A list item as an agent reports it. */
export function listItem (name: string, uuid: string): CdpListItem {
  return {
    ...KEN_IN_CLUSTER,
    volume_uuid: uuid,
    volume_name: name,
    vm_name: '',
    vm_uuid: '',
    reserve_duration: 86400n,
    reserve_capacity: 18446744073709551615n,
    cdp_create_time: 1630053321,
    cdp_state: 'on',
    cdp_priority: 'mid'
  }
}
