// What the cdp-sim commands that talk to a running simulator share: the --url and --token
// options, a client (the official volume-cdp/client: bearer token, request ids, timeouts,
// lossless answers, CdpError) whose failures become one line, and the checks of their
// arguments.
import { createWriteStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { request } from 'undici'
import { CdpClient, CdpRequestError } from '../../src/client/index.js'
import { httpUrl } from '../../src/http-url.js'
import { parseJson } from '../../src/json.js'
import { UUID } from '../../src/uuid.js'
import { UsageError } from './command.js'
import { errorCode } from '../../src/backend/agent/client.js'

export const DEFAULT_URL = 'http://127.0.0.1:8080'

/** Spread into a command's options: where the simulator is and how to authenticate. */
export const CONNECTION_OPTIONS = {
  url: { type: 'string', value: 'URL', env: 'CDP_SIM_URL', default: DEFAULT_URL, description: 'the simulator: the API of `npm start` or `cdp-sim serve`, or a `cdp-sim agent` (all serve /sim/v1)' },
  token: { type: 'string', value: 'T', env: 'CDP_TOKEN', description: 'bearer token, sent as Authorization: Bearer T' }
} as const

const TIMEOUT_MS = 30_000

export class SimClient {
  readonly url: string
  private readonly token: string | undefined
  private readonly client: CdpClient

  constructor (url: string, token: string | undefined) {
    try {
      httpUrl(url)
    } catch {
      throw new UsageError(`--url must be an http:// or https:// URL, not ${JSON.stringify(url)}`)
    }
    if (token === '') throw new UsageError('--token must not be empty')
    this.url = url
    this.token = token
    this.client = new CdpClient({ baseUrl: url, ...(token === undefined ? {} : { token }), timeoutMs: TIMEOUT_MS })
  }

  /**
   * Runs calls of the client; a failure envelope stays a CdpError (its message is
   * "scode N message: desc"), a call that got no answer of the API's becomes one line.
   */
  async run<T> (fn: (client: CdpClient) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client)
    } catch (err) {
      if (!(err instanceof CdpRequestError)) throw err
      if (err.kind === 'bad-response') throw new Error(`${this.url}: ${err.message}`)
      if (err.kind === 'timeout') throw new Error(`no answer from ${this.url} in ${TIMEOUT_MS / 1000} s`)
      const code = errorCode(err.cause)
      throw new Error(`cannot reach ${this.url}: ${code === '' ? (err.cause as Error).message : code}`)
    }
  }

  /** The answer's `data`, integers above 2^53 as decimal text (read them with `uint64`). */
  async get (path: string): Promise<unknown> {
    return await this.run(async (client) => await client.call({ method: 'GET', path }))
  }

  async post (path: string, body: unknown): Promise<unknown> {
    return await this.run(async (client) => await client.call({ method: 'POST', path, body }))
  }

  /** Streams a raw (octet-stream) answer into `file`; answers the bytes written. */
  async download (path: string, file: string): Promise<number> {
    const target = `${this.url.replace(/\/$/, '')}${path}`
    let res: Awaited<ReturnType<typeof request>>
    try {
      res = await request(target, { headers: this.token === undefined ? {} : { authorization: `Bearer ${this.token}` }, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS })
    } catch (err) {
      const code = errorCode(err)
      throw new Error(`cannot reach ${this.url}: ${code === '' ? (err as Error).message : code}`)
    }
    if (res.statusCode !== 200) {
      const text = await res.body.text()
      let answer: { scode?: unknown, message?: unknown, desc?: unknown } | undefined
      try { answer = parseJson(text) as typeof answer } catch { answer = undefined }
      const detail = typeof answer?.scode === 'number' ? `scode ${answer.scode} ${String(answer.message)}: ${String(answer.desc)}` : 'not an image'
      throw new Error(`GET ${target}: HTTP ${res.statusCode}, ${detail}`)
    }
    let bytes = 0
    res.body.on('data', (chunk: Buffer) => { bytes += chunk.length })
    await pipeline(res.body, createWriteStream(file))
    return bytes
  }
}

/** Runs `fn` with a client of the command's --url and --token, closed afterwards. */
export async function withClient<T> (values: { url: string, token: string | undefined }, fn: (client: SimClient) => Promise<T>): Promise<T> {
  const client = new SimClient(values.url, values.token)
  return await fn(client)
}

/** An argument that must be a uuid. */
export function uuidArgument (text: string, what: string): string {
  if (!UUID.test(text)) throw new UsageError(`${what} must be a uuid, not ${JSON.stringify(text)}`)
  return text
}

/** A uint64 in an answer (a number or, above 2^53, its decimal text). */
export function uint64 (value: unknown, field: string): bigint {
  if (typeof value === 'string' && /^[0-9]{1,20}$/.test(value)) return BigInt(value)
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value)
  throw new Error(`the simulator's answer has no uint64 ${field}`)
}
