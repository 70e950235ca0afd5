// The server's configuration, read from the environment it is given and checked whole:
// an invalid value stops the start with a message naming the variable.
import { Type, type Static } from '@sinclair/typebox'
import envSchema from 'env-schema'

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
  LOG_LEVEL: Type.Unsafe<string>({ type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' })
})

export type Config = Static<typeof ConfigSchema>

export function loadConfig (env: Record<string, string | undefined>): Config {
  let config: Config
  try {
    config = envSchema<Config>({ schema: structuredClone(ConfigSchema), data: env, env: false, dotenv: false })
  } catch (err) {
    throw new Error(`invalid configuration: ${(err as Error).message}`)
  }
  if (config.CDP_SIM_CLOCK_START !== undefined && config.CDP_SIM_CLOCK !== 'manual') {
    throw new Error('invalid configuration: CDP_SIM_CLOCK_START needs CDP_SIM_CLOCK=manual')
  }
  if (config.CDP_BACKEND === 'agent' && config.CDP_AGENTS === undefined) {
    throw new Error('invalid configuration: CDP_AGENTS (the agent routing file) is required with CDP_BACKEND=agent')
  }
  if ((config.CDP_AGENT_CERT === undefined) !== (config.CDP_AGENT_KEY === undefined)) {
    throw new Error('invalid configuration: CDP_AGENT_CERT and CDP_AGENT_KEY go together')
  }
  return config
}
