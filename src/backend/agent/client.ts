// The HTTP client toward node agents: one keep-alive pool per agent origin, a deadline on
// every attempt (connect to last byte), a size bound on every answer, retries with backoff
// for idempotent operations, replica failover, and the mapping of whatever comes back (or
// does not) onto the scode catalogue. An agent whose `health` listed `uint64-strings` is
// asked for answers with uint64s as decimal strings, which JSON.parse reads exactly and a
// schema-derived decoder checks; any other agent is spoken to in plain v1.
import { Pool, type Dispatcher } from 'undici'
import { stringify } from 'lossless-json'
import { Value } from '@sinclair/typebox/value'
import { CdpError, Scode, scodeName } from '../../errors.js'
import { parseJson, parseJsonAsDoubles } from '../../json.js'
import { decodeStrings } from '../../schemas/wire.js'
import { answerLimit } from './answer-limits.js'
import { settle } from './fan-out.js'
import {
  AGENT_PREFIX, AgentEnvelope, AgentFeature, UINT64_STRINGS_MEDIA, decode, namesUint64Strings, operations,
  type AgentAnswer, type AgentRequest, type Operation
} from './protocol.js'

export interface AgentTls {
  /** PEM of the CA(s) that sign the agents' certificates (default: the system's). */
  ca?: string | Buffer
  /** PEM client certificate and key, for agents that ask for one. */
  cert?: string | Buffer
  key?: string | Buffer
}

/** Where an agent's own account of its internal failures goes: the API's log, never the client. */
export interface AgentLog {
  error: (details: Record<string, unknown>, message: string) => void
}

export interface AgentClientOptions {
  /** The deadline of one attempt, connect to last byte. */
  timeoutMs: number
  /** Extra attempts of an idempotent operation after a transport failure. */
  retries: number
  /** The first backoff's ceiling; each retry doubles it (full jitter). */
  backoffMs?: number
  /** Sent as `Authorization: Bearer …`. */
  token?: string
  tls?: AgentTls
  /** Told of every attempt: which operation, which agent, how long, and its scode (0: answered). */
  onAttempt?: (operation: Operation, agent: string, seconds: number, scode: number) => void
  log?: AgentLog
}

const MAX_BACKOFF_MS = 2000
const DEFAULT_BACKOFF_MS = 100
const KEEP_ALIVE_MS = 30_000

/** An attempt that failed; `retryable` says whether trying again could help. */
export interface Failure {
  error: CdpError
  retryable: boolean
  /** The request never reached the agent, so even a non-idempotent one may go to a replica. */
  unsent: boolean
}

/** `strings`: the answer said its uint64s are decimal strings. */
type Attempt = { ok: true, data: unknown, strings: boolean } | ({ ok: false } & Failure)

/** Socket errors raised while connecting: nothing was sent. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
const TIMEOUT_ERRORS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
const TIMED_OUT = Symbol('agent deadline')
/** What an agent is taken to list while its background `health` call is on its way. */
const NOT_YET_SAID: ReadonlySet<string> = new Set()

export class AgentClient {
  private readonly pools = new Map<string, Pool>()
  private readonly headers: Record<string, string>
  /** The same, asking for uint64s as decimal strings. */
  private readonly stringHeaders: Record<string, string>
  /** What each agent URL listed in its last `health` answer (empty: nothing, or it could not say). */
  private readonly features = new Map<string, ReadonlySet<string>>()

  constructor (private readonly options: AgentClientOptions) {
    this.headers = {
      'content-type': 'application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` })
    }
    this.stringHeaders = { ...this.headers, accept: UINT64_STRINGS_MEDIA }
  }

  /**
   * Sends `op` to the first of `urls` (replicas of one agent) that answers. Idempotent
   * operations are retried after transport failures, timeouts and 5xx answers that carry
   * no envelope; an envelope with a scode is the agent's word and is never retried. When
   * no replica answers, the error names every replica tried.
   */
  async call<Op extends Operation> (op: Op, urls: readonly string[], request: AgentRequest<Op>, { retry = true } = {}): Promise<AgentAnswer<Op>> {
    const { idempotent, path, answer } = operations[op]
    const body = stringify(request) ?? '{}'
    const limit = answerLimit(op, request)
    const rounds = idempotent && retry ? this.options.retries + 1 : 1
    let tried: Failure[] = []
    for (let round = 0; round < rounds; round++) {
      if (round > 0) await sleep(backoff(round, this.options.backoffMs, Math.random()))
      tried = []
      for (const url of urls) {
        const strings = op !== 'health' && this.features.get(url)?.has(AgentFeature.uint64Strings) === true
        const attempt = await this.send(op, url, path, body, limit, strings)
        if (attempt.ok) {
          let data: AgentAnswer<Op>
          try {
            data = (attempt.strings ? decodeStrings : decode)(answer, attempt.data, 'AGENT_BAD_RESPONSE')
          } catch (err) {
            throw new CdpError('AGENT_BAD_RESPONSE', `${url}: ${(err as CdpError).desc}`)
          }
          if (op === 'health') this.features.set(url, new Set((data as AgentAnswer<'health'>).features))
          else this.learnFeatures(url)
          return this.withoutInternals(op, url, data)
        }
        if (!attempt.retryable) throw attempt.error
        tried.push(attempt)
        // A replica may take over a non-idempotent call only when the first never saw it.
        if (!idempotent && !attempt.unsent) throw allFailed(tried)
      }
    }
    throw allFailed(tried)
  }

  /**
   * Asks an agent that answered, and has not yet said what it supports, for its `health`,
   * in the background: until then (and when it cannot say) it is spoken to in plain v1.
   * The readiness check's `health` calls refresh what is known.
   */
  private learnFeatures (url: string): void {
    if (this.features.has(url)) return
    this.features.set(url, NOT_YET_SAID)
    this.call('health', [url], {}, { retry: false }).catch(() => {})
  }

  /**
   * Whether the agent at `url` lists `feature`: from its last `health` answer, or from a
   * `health` call now when it has not answered one yet; undefined when it cannot say (that
   * call failed).
   */
  async supports (url: string, feature: string): Promise<boolean | undefined> {
    const known = this.features.get(url)
    if (known !== undefined && known !== NOT_YET_SAID) return known.has(feature)
    const health = await settle(this.call('health', [url], {}, { retry: false }))
    return health.ok ? health.value.features?.includes(feature) === true : undefined
  }

  /** Forgets what `urls` listed (an agent may have been replaced): their next `health` says again. */
  forgetFeatures (urls: readonly string[]): void {
    for (const url of urls) this.features.delete(url)
  }

  async close (): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map(async (pool) => { await pool.close() }))
  }

  private pool (origin: string): Pool {
    let pool = this.pools.get(origin)
    if (pool === undefined) {
      const { timeoutMs, tls } = this.options
      pool = new Pool(origin, {
        connect: { timeout: timeoutMs, ...tls },
        keepAliveTimeout: KEEP_ALIVE_MS,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs
      })
      this.pools.set(origin, pool)
    }
    return pool
  }

  private async send (op: Operation, url: string, path: string, body: string, limit: number, strings: boolean): Promise<Attempt> {
    const start = performance.now()
    const attempt = await this.attempt(op, url, path, body, limit, strings)
    this.options.onAttempt?.(op, url, (performance.now() - start) / 1000, attempt.ok ? 0 : attempt.error.entry.scode)
    return attempt
  }

  private async attempt (op: Operation, url: string, path: string, body: string, limit: number, strings: boolean): Promise<Attempt> {
    const target = new URL(url)
    const controller = new AbortController()
    // One deadline for the whole exchange: a body still trickling in when it passes is cut off.
    const timer = setTimeout(() => { controller.abort(TIMED_OUT) }, this.options.timeoutMs)
    try {
      const res = await this.pool(target.origin).request({
        method: 'POST',
        path: `${target.pathname.replace(/\/+$/, '')}${AGENT_PREFIX}${path}`,
        headers: strings ? this.stringHeaders : this.headers,
        body,
        signal: controller.signal
      })
      const text = await readBounded(res, limit)
      if (text === undefined) {
        const error = new CdpError('AGENT_BAD_RESPONSE', `${url}: answer longer than ${limit} bytes, more than a ${op} answer can need`)
        return { ok: false, error, retryable: false, unsent: false }
      }
      const contentType = res.headers['content-type']
      return this.answerOf(op, url, res.statusCode, text, namesUint64Strings(typeof contentType === 'string' ? contentType : undefined))
    } catch (err) {
      return { ok: false, ...transportFailure(url, err, controller.signal.aborted) }
    } finally {
      clearTimeout(timer)
    }
  }

  /**
   * An answer that arrived: success only as a success envelope under a 2xx status; a
   * redirect is never followed; garbage is retryable only when it came with a 5xx.
   * `strings`: its media type says every uint64 in it is a decimal string.
   */
  private answerOf (op: Operation, url: string, status: number, text: string, strings: boolean): Attempt {
    const garbage = (what: string): Attempt =>
      ({ ok: false, error: new CdpError('AGENT_BAD_RESPONSE', `${url}: ${what} (HTTP ${status})`), retryable: status >= 500, unsent: false })
    if (status >= 300 && status < 400) return garbage('a redirect, which is never followed')
    let value: unknown
    try {
      value = strings ? parseJsonAsDoubles(text) : parseJson(text)
    } catch {
      return garbage('answer is not JSON')
    }
    if (!Value.Check(AgentEnvelope, value)) return garbage('answer is not an agent envelope')
    if (value.scode === 0) return status < 300 ? { ok: true, data: value.data, strings } : garbage('a success envelope under a failure status')
    // The client posts only paths of the protocol: one the agent lacks is an operation added after it was built.
    if (value.scode === Scode.ROUTE_NOT_FOUND.scode) {
      return { ok: false, error: new CdpError('AGENT_OPERATION_UNSUPPORTED', `${url}: ${op}`), retryable: false, unsent: false }
    }
    return { ok: false, error: scodeError(value.scode, this.withoutInternal(op, url, value.scode, value.desc)), retryable: false, unsent: false }
  }

  /** A batch answer with each volume's INTERNAL detail taken out (and logged). */
  private withoutInternals<Op extends Operation> (op: Op, url: string, data: AgentAnswer<Op>): AgentAnswer<Op> {
    if (op !== 'edit' && op !== 'enable' && op !== 'disable') return data
    const { results } = data as AgentAnswer<'enable'>
    return { results: results.map((item) => ({ ...item, desc: this.withoutInternal(op, url, item.scode, item.desc) })) } as AgentAnswer<Op>
  }

  /**
   * The detail of an agent's failure that may reach the client. INTERNAL's is the agent's
   * internals (SQL, paths, stacks): it goes to the API log, and the client gets the
   * catalogue's fixed text alone.
   */
  private withoutInternal (op: Operation, url: string, scode: number, desc: string): string {
    if (scode !== Scode.INTERNAL.scode) return desc
    this.options.log?.error({ agent: url, operation: op, desc }, 'node agent reported an internal error')
    return ''
  }
}

/** An agent's failure as the catalogue entry its scode names; an unknown scode is a bad answer. */
export function scodeError (scode: number, desc: string): CdpError {
  const code = scodeName(scode)
  return code === undefined ? new CdpError('AGENT_BAD_RESPONSE', `unknown scode ${scode}: ${desc}`) : new CdpError(code, desc)
}

/**
 * The wait before retry round `round` (1: the first retry): full jitter, `random` (in [0, 1))
 * of a ceiling that starts at `backoffMs` (default 100) and doubles each round, at most 2 s.
 */
export function backoff (round: number, backoffMs: number | undefined, random: number): number {
  return random * Math.min(MAX_BACKOFF_MS, (backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** (round - 1))
}

/** The failure of a call no replica answered: the last one's kind, with what each replica tried did. */
function allFailed (tried: readonly Failure[]): CdpError {
  const last = tried[tried.length - 1] as Failure
  if (tried.length === 1) return last.error
  return new CdpError(last.error.code, tried.map(({ error }) => error.desc).join('; '))
}

/**
 * The answer's text, or undefined as soon as it is longer than `limit` bytes: the rest is
 * never read (the body is destroyed, and with it the connection).
 */
async function readBounded ({ headers, body }: Dispatcher.ResponseData, limit: number): Promise<string | undefined> {
  if (Number(headers['content-length']) > limit) {
    body.destroy()
    return undefined
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      body.destroy()
      return undefined
    }
    chunks.push(chunk)
  }
  return (chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)).toString('utf8')
}

/**
 * What a request that got no answer became: a timeout (the deadline passed, or undici's own),
 * or the agent unreachable; `unsent` when the socket error says the connection never opened.
 */
export function transportFailure (url: string, err: unknown, timedOut: boolean): Failure {
  const code = errorCode(err)
  if (timedOut || TIMEOUT_ERRORS.has(code)) {
    return { error: new CdpError('AGENT_TIMEOUT', `${url}: no answer within the deadline`), retryable: true, unsent: CONNECT_ERRORS.has(code) }
  }
  return { error: new CdpError('AGENT_UNREACHABLE', `${url}: ${code === '' ? (err as Error).message : code}`), retryable: true, unsent: CONNECT_ERRORS.has(code) }
}

/** The code of a socket or undici error ('' if it has none); a failed multi-address connect nests its causes. */
export function errorCode (err: unknown): string {
  const { code, errors, cause } = (err ?? {}) as { code?: unknown, errors?: unknown[], cause?: unknown }
  if (typeof code === 'string') return code
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0])
  if (cause !== undefined) return errorCode(cause)
  return ''
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}
