// What the cdp-sim commands that talk to a running simulator share: the --url and --token
// options, an HTTP client (undici) that reads answers losslessly (ns times above 2^53 come
// back as bigint) and turns a failure into one line, and the checks of their arguments.
import { isInteger, isSafeNumber, parse, stringify } from 'lossless-json'
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { type Dispatcher, Pool } from 'undici'
import { Scode } from '../../src/errors.js'
import { UUID } from '../../src/uuid.js'
import { UsageError } from './command.js'
import { errorCode } from '../../src/backend/agent/client.js'

export const DEFAULT_URL = 'http://127.0.0.1:8080'

/** Spread into a command's options: where the simulator is and how to authenticate. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string', value: 'URL', default: DEFAULT_URL, description: 'the simulator: the API of `npm start` or a `cdp-sim agent` (both serve /sim/v1)' },
  token: { type: 'string', value: 'T', description: 'bearer token, sent as Authorization: Bearer T' }
} as const

/** A request the simulator answered with a failure envelope. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError'
  constructor (readonly scode: number, message: string, desc: string) {
    super(`scode ${scode} ${message}${desc === '' ? '' : `: ${desc}`}`)
  }
}

export const ROUTE_NOT_FOUND = Scode.ROUTE_NOT_FOUND.scode
export const VIEW_NOT_FOUND = Scode.VIEW_NOT_FOUND.scode

/** Integers above 2^53 as bigint, every other number as a number. */
function parseNumber (text: string): number | bigint {
  return !isSafeNumber(text) && isInteger(text) ? BigInt(text) : Number(text)
}

interface Envelope { scode: number, message: string, desc: string, data: unknown }

function isEnvelope (value: unknown): value is Envelope {
  const v = value as Partial<Envelope> | null
  return typeof v === 'object' && v !== null && typeof v.scode === 'number' && typeof v.message === 'string'
}

const TIMEOUT_MS = 30_000

export class SimClient {
  readonly url: string
  private readonly base: string
  private readonly pool: Pool
  private readonly headers: Record<string, string>

  constructor (url: string, token: string | undefined) {
    let parsed: URL
    try {
      parsed = new URL(url)
    } catch {
      throw new UsageError(`--url must be an http:// or https:// URL, not ${JSON.stringify(url)}`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new UsageError(`--url must be an http:// or https:// URL, not ${JSON.stringify(url)}`)
    }
    if (token === '') throw new UsageError('--token must not be empty')
    this.url = url
    this.base = parsed.pathname.replace(/\/+$/, '')
    this.pool = new Pool(parsed.origin, { connect: { timeout: TIMEOUT_MS }, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS })
    this.headers = token === undefined ? {} : { authorization: `Bearer ${token}` }
  }

  async get (path: string): Promise<unknown> {
    return await this.call('GET', path)
  }

  async post (path: string, body: unknown): Promise<unknown> {
    return await this.call('POST', path, body)
  }

  /** Streams a raw (octet-stream) answer into file; a failure envelope is a RemoteError. Answers the bytes written. */
  async download (path: string, file: string): Promise<number> {
    let res: Dispatcher.ResponseData
    try {
      res = await this.pool.request({ method: 'GET', path: `${this.base}${path}`, headers: this.headers })
    } catch (err) {
      throw new Error(`cannot reach ${this.url}: ${errorCode(err) === '' ? (err as Error).message : errorCode(err)}`)
    }
    if (res.statusCode !== 200) {
      envelopeData(await res.body.text(), `GET ${this.url}${path}: HTTP ${res.statusCode}`)
      throw new Error(`GET ${this.url}${path}: HTTP ${res.statusCode}, not an image`)
    }
    let bytes = 0
    res.body.on('data', (chunk: Buffer) => { bytes += chunk.length })
    await pipeline(res.body, createWriteStream(file))
    return bytes
  }

  async close (): Promise<void> {
    await this.pool.close()
  }

  /** The answer's `data`; a failure envelope is a RemoteError, anything else an Error. */
  private async call (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    let status: number
    let text: string
    try {
      const res = await this.pool.request({
        method,
        path: `${this.base}${path}`,
        headers: body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: stringify(body) ?? '{}' })
      })
      status = res.statusCode
      text = await res.body.text()
    } catch (err) {
      throw new Error(`cannot reach ${this.url}: ${errorCode(err) === '' ? (err as Error).message : errorCode(err)}`)
    }
    return envelopeData(text, `${method} ${this.url}${path}: HTTP ${status}`)
  }
}

/** An answer's `data`; a failure envelope is a RemoteError, anything else an Error naming `what`. */
function envelopeData (text: string, what: string): unknown {
  let answer: unknown
  try {
    answer = parse(text, null, parseNumber)
  } catch {
    answer = undefined
  }
  if (!isEnvelope(answer)) throw new Error(`${what}, not a volume-cdp answer`)
  if (answer.scode !== 0) throw new RemoteError(answer.scode, answer.message, answer.desc)
  return answer.data
}

/** Runs `fn` with a client of the command's --url and --token, closed afterwards. */
export async function withClient<T> (values: { url: string, token: string | undefined }, fn: (client: SimClient) => Promise<T>): Promise<T> {
  const client = new SimClient(values.url, values.token)
  try {
    return await fn(client)
  } finally {
    await client.close()
  }
}

/** An argument that must be a uuid. */
export function uuidArgument (text: string, what: string): string {
  if (!UUID.test(text)) throw new UsageError(`${what} must be a uuid, not ${JSON.stringify(text)}`)
  return text
}

/** A uint64 in an answer (a number or, above 2^53, a bigint). */
export function uint64 (value: unknown, field: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  throw new Error(`the simulator's answer has no uint64 ${field}`)
}
