// The HTTP client toward node agents: one keep-alive pool per agent origin, a deadline on
// every attempt, retries with backoff for idempotent operations, replica failover, and the
// mapping of whatever comes back (or does not) onto the scode catalogue.
import { Pool } from 'undici'
import { stringify } from 'lossless-json'
import { Value } from '@sinclair/typebox/value'
import { CdpError, scodeName } from '../../errors.js'
import { parseJson } from '../../json.js'
import { AGENT_PREFIX, AgentEnvelope, decode, operations, type AgentAnswer, type AgentRequest, type Operation } from './protocol.js'

export interface AgentTls {
  /** PEM of the CA(s) that sign the agents' certificates (default: the system's). */
  ca?: string | Buffer
  /** PEM client certificate and key, for agents that ask for one. */
  cert?: string | Buffer
  key?: string | Buffer
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
}

const MAX_BACKOFF_MS = 2000
const DEFAULT_BACKOFF_MS = 100
const KEEP_ALIVE_MS = 30_000

/** An attempt that failed; `retryable` says whether trying again could help. */
interface Failure {
  error: CdpError
  retryable: boolean
  /** The request never reached the agent, so even a non-idempotent one may go to a replica. */
  unsent: boolean
}

type Attempt = { ok: true, data: unknown } | ({ ok: false } & Failure)

/** Socket errors raised while connecting: nothing was sent. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
const TIMEOUT_ERRORS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
const TIMED_OUT = Symbol('agent deadline')

export class AgentClient {
  private readonly pools = new Map<string, Pool>()
  private readonly headers: Record<string, string>

  constructor (private readonly options: AgentClientOptions) {
    this.headers = {
      'content-type': 'application/json',
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` })
    }
  }

  /**
   * Sends `op` to the first of `urls` (replicas of one agent) that answers. Idempotent
   * operations are retried after transport failures, timeouts and 5xx answers that carry
   * no envelope; an envelope with a scode is the agent's word and is never retried.
   */
  async call<Op extends Operation> (op: Op, urls: readonly string[], request: AgentRequest<Op>, { retry = true } = {}): Promise<AgentAnswer<Op>> {
    const { idempotent, path, answer } = operations[op]
    const body = stringify(request) ?? '{}'
    const rounds = idempotent && retry ? this.options.retries + 1 : 1
    let last: Failure | undefined
    for (let round = 0; round < rounds; round++) {
      if (round > 0) await sleep(this.backoff(round))
      for (const url of urls) {
        const attempt = await this.send(op, url, path, body)
        if (attempt.ok) {
          try {
            return decode(answer, attempt.data, 'AGENT_BAD_RESPONSE')
          } catch (err) {
            throw new CdpError('AGENT_BAD_RESPONSE', `${url}: ${(err as CdpError).desc}`)
          }
        }
        last = attempt
        if (!attempt.retryable) throw attempt.error
        // A replica may take over a non-idempotent call only when the first never saw it.
        if (!idempotent && !attempt.unsent) throw attempt.error
      }
    }
    throw (last as Failure).error
  }

  async close (): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map(async (pool) => { await pool.close() }))
  }

  private backoff (round: number): number {
    const ceiling = Math.min(MAX_BACKOFF_MS, (this.options.backoffMs ?? DEFAULT_BACKOFF_MS) * 2 ** (round - 1))
    return Math.random() * ceiling
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

  private async send (op: Operation, url: string, path: string, body: string): Promise<Attempt> {
    const start = performance.now()
    const attempt = await this.attempt(url, path, body)
    this.options.onAttempt?.(op, url, (performance.now() - start) / 1000, attempt.ok ? 0 : attempt.error.entry.scode)
    return attempt
  }

  private async attempt (url: string, path: string, body: string): Promise<Attempt> {
    const target = new URL(url)
    const controller = new AbortController()
    const timer = setTimeout(() => { controller.abort(TIMED_OUT) }, this.options.timeoutMs)
    try {
      const res = await this.pool(target.origin).request({
        method: 'POST',
        path: `${target.pathname.replace(/\/+$/, '')}${AGENT_PREFIX}${path}`,
        headers: this.headers,
        body,
        signal: controller.signal
      })
      const text = await res.body.text()
      return readAnswer(url, res.statusCode, text)
    } catch (err) {
      return { ok: false, ...transportFailure(url, err, controller.signal.aborted) }
    } finally {
      clearTimeout(timer)
    }
  }
}

/** An answer that arrived: an envelope, or garbage (retryable only when it was a 5xx). */
function readAnswer (url: string, status: number, text: string): Attempt {
  const garbage = (what: string): Attempt =>
    ({ ok: false, error: new CdpError('AGENT_BAD_RESPONSE', `${url}: ${what} (HTTP ${status})`), retryable: status >= 500, unsent: false })
  let value: unknown
  try {
    value = parseJson(text)
  } catch {
    return garbage('answer is not JSON')
  }
  if (!Value.Check(AgentEnvelope, value)) return garbage('answer is not an agent envelope')
  if (value.scode === 0) return { ok: true, data: value.data }
  return { ok: false, error: scodeError(value.scode, value.desc), retryable: false, unsent: false }
}

/** An agent's failure as the catalogue entry its scode names; an unknown scode is a bad answer. */
export function scodeError (scode: number, desc: string): CdpError {
  const code = scodeName(scode)
  return code === undefined ? new CdpError('AGENT_BAD_RESPONSE', `unknown scode ${scode}: ${desc}`) : new CdpError(code, desc)
}

function transportFailure (url: string, err: unknown, timedOut: boolean): Failure {
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
