// The server's configuration, read from the environment it is given (over an optional
// JSON file named by CDP_CONFIG_FILE) and checked whole: an invalid value stops the start
// with a message naming the variable.
import { Type, type Static } from '@sinclair/typebox'
import envSchema from 'env-schema'
import { readJsonFile } from './json-file.js'
import { DEFAULT_WARNING_FRACTION } from './protection-pressure.js'

export const ConfigSchema = Type.Object({
  HOST: Type.String({ default: '127.0.0.1', minLength: 1 }),
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  CDP_BACKEND: Type.Unsafe<'simulator' | 'agent'>({ type: 'string', enum: ['simulator', 'agent'], default: 'simulator' }),
  CDP_SIM_TOPOLOGY: Type.String({ default: 'fixtures/demo-topology.json', minLength: 1 }),
  CDP_SIM_DB: Type.String({ default: ':memory:', minLength: 1 }),
  CDP_SIM_CLOCK: Type.Unsafe<'real' | 'manual'>({ type: 'string', enum: ['real', 'manual'], default: 'real' }),
  /** ns since the epoch; only for a manual clock. */
  CDP_SIM_CLOCK_START: Type.Optional(Type.String({ pattern: '^[0-9]{1,20}$' })),
  /** Seconds between auto snapshots. */
  CDP_SIM_SNAPSHOT_INTERVAL: Type.Optional(Type.Integer({ minimum: 1 })),
  // The simulator's NBD exports on 127.0.0.1: a port (0: any free one) or off.
  CDP_SIM_NBD_PORT: Type.String({ default: '10809', pattern: '^(off|0|[1-9][0-9]{0,4})$' }),
  /** Agent mode: the routing file (clusters and namespaces to agent URLs). */
  CDP_AGENTS: Type.Optional(Type.String({ minLength: 1 })),
  CDP_AGENT_TIMEOUT_MS: Type.Integer({ default: 5000, minimum: 1, maximum: 600_000 }),
  CDP_AGENT_RETRIES: Type.Integer({ default: 2, minimum: 0, maximum: 10 }),
  CDP_AGENT_CONCURRENCY: Type.Integer({ default: 16, minimum: 1, maximum: 1024 }),
  CDP_AGENT_TOKEN: Type.Optional(Type.String({ minLength: 1 })),
  /** PEM files: the CA of the agents' certificates, and a client certificate with its key. */
  CDP_AGENT_CA: Type.Optional(Type.String({ minLength: 1 })),
  CDP_AGENT_CERT: Type.Optional(Type.String({ minLength: 1 })),
  CDP_AGENT_KEY: Type.Optional(Type.String({ minLength: 1 })),
  /** JSON file of API tokens: {"tokens": [{"token", "tenant"?, "name"?}]}. */
  CDP_AUTH_TOKENS_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** `auto`: tokens when configured, else open on loopback only; `off`: no authentication. */
  CDP_AUTH: Type.Unsafe<'auto' | 'off'>({ type: 'string', enum: ['auto', 'off'], default: 'auto' }),
  /** Browser origins allowed to call the API (CORS), comma-separated; absent: CORS off. */
  CDP_CORS_ORIGINS: Type.Optional(Type.String({ pattern: '^https?://[^/,\\s]+(,https?://[^/,\\s]+)*$' })),
  CDP_BODY_LIMIT: Type.Integer({ default: 1024 * 1024, minimum: 1024, maximum: 64 * 1024 * 1024 }),
  CDP_MAX_VOLUMES: Type.Integer({ default: 1000, minimum: 1, maximum: 100_000 }),
  /** `window`'s pressure is `warning` while history is below this fraction of reserve_duration. */
  CDP_WINDOW_WARNING_FRACTION: Type.Number({ default: DEFAULT_WARNING_FRACTION, exclusiveMinimum: 0, maximum: 1 }),
  /** Whole request, in ms: a client that sends too slowly is cut off. */
  CDP_REQUEST_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1, maximum: 3_600_000 }),
  /** An idle keep-alive connection is closed after this many ms. */
  CDP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ default: 72_000, minimum: 1, maximum: 3_600_000 }),
  /** Open connections at most; at the cap the one idle longest is closed to make room. */
  CDP_MAX_CONNECTIONS: Type.Integer({ default: 1000, minimum: 1, maximum: 1_000_000 }),
  LOG_LEVEL: Type.Unsafe<string>({ type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' })
})

export type Config = Static<typeof ConfigSchema>

/** Settings from CDP_CONFIG_FILE (a JSON object of the same names); the environment wins. */
function fileSettings (path: string | undefined): Record<string, unknown> {
  if (path === undefined) return {}
  const settings = readJsonFile('CDP_CONFIG_FILE', path)
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new Error(`invalid configuration: CDP_CONFIG_FILE (${path}) must hold a JSON object`)
  }
  // A misspelt name would otherwise be dropped silently and its default used.
  const unknown = Object.keys(settings).filter((name) => !(name in ConfigSchema.properties))
  if (unknown.length > 0) throw new Error(`invalid configuration: CDP_CONFIG_FILE (${path}): unknown setting ${unknown.join(', ')}`)
  return settings as Record<string, unknown>
}

interface SchemaError { instancePath: string, keyword: string, message?: string, params: { allowedValues?: unknown[] } }

/** env-schema's first complaint, naming the variable and, for a choice, what it may be. */
function describe (err: Error & { errors?: SchemaError[] }): string {
  const first = err.errors?.[0]
  if (first === undefined) return err.message
  const name = first.instancePath.replace(/^\//, '')
  if (first.keyword === 'enum') return `${name} must be one of ${(first.params.allowedValues ?? []).join(', ')}`
  return `${name} ${first.message ?? 'is invalid'}`
}

/** The earliest a ns time can sensibly be (1973): below it, the value was given in seconds or ms. */
const EARLIEST_NS = 10n ** 17n

export function loadConfig (env: Record<string, string | undefined>): Config {
  const { CDP_CONFIG_FILE: file, ...fromEnv } = env
  const fromFile = fileSettings(file)
  let config: Config
  try {
    config = envSchema<Config>({ schema: structuredClone(ConfigSchema), data: { ...fromFile, ...fromEnv }, env: false, dotenv: false })
  } catch (err) {
    throw new Error(`invalid configuration: ${describe(err as Error)}`)
  }
  if (config.CDP_SIM_CLOCK_START !== undefined && config.CDP_SIM_CLOCK !== 'manual') {
    throw new Error('invalid configuration: CDP_SIM_CLOCK_START needs CDP_SIM_CLOCK=manual')
  }
  if (config.CDP_SIM_CLOCK_START !== undefined && BigInt(config.CDP_SIM_CLOCK_START) < EARLIEST_NS) {
    throw new Error(`invalid configuration: CDP_SIM_CLOCK_START ${config.CDP_SIM_CLOCK_START} is before 1973 in ns: ` +
      `it is nanoseconds since the epoch (seconds ${config.CDP_SIM_CLOCK_START} would be ${config.CDP_SIM_CLOCK_START}000000000)`)
  }
  if (config.CDP_SIM_NBD_PORT !== 'off' && Number(config.CDP_SIM_NBD_PORT) > 65535) {
    throw new Error('invalid configuration: CDP_SIM_NBD_PORT must be a port (0-65535) or off')
  }
  if (config.CDP_BACKEND === 'agent' && config.CDP_AGENTS === undefined) {
    throw new Error('invalid configuration: CDP_AGENTS (the agent routing file) is required with CDP_BACKEND=agent')
  }
  if ((config.CDP_AGENT_CERT === undefined) !== (config.CDP_AGENT_KEY === undefined)) {
    throw new Error('invalid configuration: CDP_AGENT_CERT and CDP_AGENT_KEY go together')
  }
  if (config.CDP_AUTH === 'off' && config.CDP_AUTH_TOKENS_FILE !== undefined) {
    throw new Error('invalid configuration: CDP_AUTH=off contradicts CDP_AUTH_TOKENS_FILE')
  }
  if (config.CDP_AUTH === 'auto' && config.CDP_AUTH_TOKENS_FILE === undefined && !isLoopback(config.HOST)) {
    throw new Error(`invalid configuration: HOST ${config.HOST} is not loopback and no CDP_AUTH_TOKENS_FILE is set; ` +
      'configure tokens, or set CDP_AUTH=off to serve without authentication')
  }
  return config
}

/** Addresses only this machine can reach: where an open API is acceptable. */
export function isLoopback (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}
