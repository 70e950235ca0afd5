// volume-cdp/client: the official TypeScript client of the CDP API. Every endpoint is typed
// from the schemas the server validates and answers with (src/schemas/); ns times, seqs and
// sizes are bigint both ways: requests print them as exact JSON integers, answers are parsed
// losslessly and decoded against the same schemas. A failure envelope is a CdpError with the
// catalogue's name for its scode.
import { randomUUID } from 'node:crypto'
import type { Static, TSchema } from '@sinclair/typebox'
import { scodeName, type ScodeName } from '../errors.js'
import { httpUrl } from '../http-url.js'
import { parseJson, printExact } from '../json.js'
import type { CdpPolicy } from '../schemas/batch.js'
import { CdpBatchResult } from '../schemas/batch.js'
import { CdpInfoData, CdpViewData } from '../schemas/info.js'
import { CdpListData, type CdpListQuery } from '../schemas/list.js'
import type { PointInTime } from '../schemas/point.js'
import type { InternalVolumeIdentifier } from '../schemas/volume.js'
import { decode, wire } from '../schemas/wire.js'

export { Scode, type ScodeName } from '../errors.js'

export type VolumeRef = Static<typeof InternalVolumeIdentifier>
export type Policy = Static<typeof CdpPolicy>
export type Point = Static<typeof PointInTime>
export type ListQuery = Static<typeof CdpListQuery>
export type BatchResult = Static<typeof CdpBatchResult>
export type ListData = Static<typeof CdpListData>
export type InfoData = Static<typeof CdpInfoData>
export type ViewData = Static<typeof CdpViewData>

export const API_PREFIX = '/v1/volume/internal/cdp'

export interface CdpClientOptions {
  /** Where the API listens, e.g. http://127.0.0.1:8080 (a path prefix is kept). */
  baseUrl: string
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
  /** ms a call may take, answer included; 30 s by default. */
  timeoutMs?: number
  /** The request id of each call (x-request-id); a random uuid by default. */
  requestId?: () => string
}

export interface CallOptions {
  /** This call's x-request-id (the server echoes it and logs it). */
  requestId?: string
  timeoutMs?: number
  signal?: AbortSignal
}

/** The server answered with a failure envelope. */
export class CdpError extends Error {
  override readonly name = 'CdpError'
  /** The catalogue's name for `scode`; undefined for a scode this client does not know. */
  readonly code: ScodeName | undefined
  constructor (
    readonly scode: number,
    readonly status: number,
    message: string,
    readonly desc: string,
    readonly messageCn: string,
    readonly requestId: string
  ) {
    super(`scode ${scode} ${message}${desc === '' ? '' : `: ${desc}`}`)
    this.code = scodeName(scode)
  }
}

/** No answer to read: the server was unreachable, the call timed out, or the answer was not the API's. */
export class CdpRequestError extends Error {
  override readonly name = 'CdpRequestError'
  constructor (message: string, readonly kind: 'unreachable' | 'timeout' | 'bad-response', readonly requestId: string, options?: { cause: unknown }) {
    super(message, options)
  }
}

interface Envelope { scode: number, desc: string, message: string, message_cn: string, data: unknown }

function isEnvelope (value: unknown): value is Envelope {
  const v = value as Partial<Envelope> | null
  return typeof v === 'object' && v !== null && typeof v.scode === 'number' && typeof v.message === 'string' &&
    typeof v.desc === 'string' && typeof v.message_cn === 'string' && 'data' in v
}

// Each answer's data schema in wire form, built once.
const answers = {
  batch: wire(CdpBatchResult),
  list: wire(CdpListData),
  info: wire(CdpInfoData),
  view: wire(CdpViewData)
}

export interface RawRequest {
  method: 'GET' | 'POST'
  path: string
  query?: Record<string, string | number | bigint | undefined>
  body?: unknown
}

export class CdpClient {
  private readonly base: URL
  private readonly headers: Record<string, string>
  private readonly timeoutMs: number
  private readonly requestId: () => string

  constructor (options: CdpClientOptions) {
    try {
      this.base = httpUrl(options.baseUrl)
    } catch (err) {
      throw new TypeError(`baseUrl: ${(err as Error).message}`)
    }
    this.headers = options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.requestId = options.requestId ?? randomUUID
  }

  /** cdp编辑: sets the policy of each volume, creating CDP (off) where it has none. */
  async edit (policy: Policy, volumes: VolumeRef[], options?: CallOptions): Promise<BatchResult> {
    return await this.cdp('POST', '/edit', { ...policy, volumes }, answers.batch, options)
  }

  /** 卷cdp启用: turns journaling on, creating CDP with the default policy where none. */
  async enable (volumes: VolumeRef[], options?: CallOptions): Promise<BatchResult> {
    return await this.cdp('POST', '/enable', { volumes }, answers.batch, options)
  }

  /** 卷cdp停用: turns journaling off; history stays until clean. */
  async disable (volumes: VolumeRef[], options?: CallOptions): Promise<BatchResult> {
    return await this.cdp('POST', '/disable', { volumes }, answers.batch, options)
  }

  /** 卷cdp列表: page_num is 0-based; no paging (or 0/0) returns everything. */
  async list (query: ListQuery, options?: CallOptions): Promise<ListData> {
    return await this.call({ method: 'GET', path: `${API_PREFIX}/list`, query }, answers.list, options)
  }

  /** 卷cdp信息: the volume's journal segments and snapshots, and its view's host. */
  async info (volume: VolumeRef, options?: CallOptions): Promise<InfoData> {
    return await this.call({ method: 'GET', path: `${API_PREFIX}/info`, query: { ...volume } }, answers.info, options)
  }

  /** 卷cdp删除: without `usdSeq` the whole CDP; with it (0 is a seq) that one segment. */
  async clean (volume: VolumeRef, usdSeq?: bigint, options?: CallOptions): Promise<void> {
    await this.cdp('POST', '/clean', usdSeq === undefined ? volume : { ...volume, usd_seq: usdSeq }, undefined, options)
  }

  /** 卷cdp查看 on: exposes a read-only image of the point; answers the host it is on. */
  async viewOn (volume: VolumeRef, point: Point, options?: CallOptions): Promise<ViewData> {
    return await this.cdp('POST', '/view', { ...volume, op: 'on', ...point }, answers.view, options)
  }

  /** 卷cdp查看 off: removes the volume's view. */
  async viewOff (volume: VolumeRef, options?: CallOptions): Promise<void> {
    await this.cdp('POST', '/view', { ...volume, op: 'off' }, undefined, options)
  }

  /** 卷cdp回滚: rolls the volume back to the point (itself undoable by a later revert). */
  async revert (volume: VolumeRef, point: Point, options?: CallOptions): Promise<void> {
    await this.cdp('POST', '/revert', { ...volume, ...point }, undefined, options)
  }

  /**
   * Any call on the same conventions (token, request id, timeout, lossless answers,
   * CdpError): the simulator's /sim/v1, or a path this client has no method for. Its `data`
   * comes back as parsed (integers above 2^53 as decimal strings) unless `schema` is given.
   */
  async call<T extends TSchema = TSchema> (request: RawRequest, schema?: T, options: CallOptions = {}): Promise<Static<T>> {
    const requestId = options.requestId ?? this.requestId()
    const url = new URL(`${this.base.pathname.replace(/\/+$/, '')}${request.path}`, this.base)
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value))
    const headers: Record<string, string> = { ...this.headers, 'x-request-id': requestId }
    if (request.body !== undefined) headers['content-type'] = 'application/json'
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs)
    let status: number
    let text: string
    try {
      const res = await fetch(url, {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: printExact(request.body) }),
        signal: options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal])
      })
      status = res.status
      text = await res.text()
    } catch (err) {
      const timedOut = timeout.aborted
      throw new CdpRequestError(`${timedOut ? 'no answer in time from' : 'cannot reach'} ${this.base.origin}`, timedOut ? 'timeout' : 'unreachable', requestId, { cause: err })
    }
    const bad = (why: string) => new CdpRequestError(`${request.method} ${url.pathname}: HTTP ${status}, ${why}`, 'bad-response', requestId)
    let answer: unknown
    try {
      answer = parseJson(text)
    } catch {
      throw bad('not a volume-cdp answer')
    }
    if (!isEnvelope(answer)) throw bad('not a volume-cdp answer')
    if (answer.scode !== 0) throw new CdpError(answer.scode, status, answer.message, answer.desc, answer.message_cn, requestId)
    if (schema === undefined) return answer.data as Static<T>
    try {
      return decode(schema, answer.data, 'AGENT_BAD_RESPONSE') as Static<T>
    } catch (err) {
      throw bad(`data does not fit: ${(err as { desc?: string }).desc ?? ''}`)
    }
  }

  private async cdp<T extends TSchema> (method: 'POST', path: string, body: unknown, schema: T | undefined, options: CallOptions | undefined): Promise<Static<T>> {
    return await this.call({ method, path: `${API_PREFIX}${path}`, body }, schema, options)
  }
}
