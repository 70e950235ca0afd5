// The agent backend as the server's configuration describes it: the routing file and the
// TLS files are read here, and a file that cannot be used names its variable.
import { readFileSync } from 'node:fs'
import type { Config } from '../../config.js'
import { fromSettingFile } from '../../json-file.js'
import { createAgentBackend, type AgentBackend, type AgentBackendOptions } from './backend.js'
import type { AgentLog, AgentTls } from './client.js'
import { loadAgentRoutes } from './routing.js'

type AgentConfig = Pick<Config, 'CDP_AGENTS' | 'CDP_AGENT_TIMEOUT_MS' | 'CDP_AGENT_RETRIES' | 'CDP_AGENT_CONCURRENCY' |
'CDP_AGENT_TOKEN' | 'CDP_AGENT_CA' | 'CDP_AGENT_CERT' | 'CDP_AGENT_KEY'>

const readPem = (file: string): Buffer => readFileSync(file)

export function openAgentBackend (config: AgentConfig, onAttempt?: AgentBackendOptions['onAttempt'], log?: AgentLog): AgentBackend {
  if (config.CDP_AGENTS === undefined) throw new Error('invalid configuration: CDP_AGENTS is required with CDP_BACKEND=agent')
  const routes = loadAgentRoutes(config.CDP_AGENTS)
  const tls: AgentTls = {
    ...(config.CDP_AGENT_CA === undefined ? {} : { ca: fromSettingFile('CDP_AGENT_CA', config.CDP_AGENT_CA, readPem) }),
    ...(config.CDP_AGENT_CERT === undefined ? {} : { cert: fromSettingFile('CDP_AGENT_CERT', config.CDP_AGENT_CERT, readPem) }),
    ...(config.CDP_AGENT_KEY === undefined ? {} : { key: fromSettingFile('CDP_AGENT_KEY', config.CDP_AGENT_KEY, readPem) })
  }
  return createAgentBackend({
    routes,
    timeoutMs: config.CDP_AGENT_TIMEOUT_MS,
    retries: config.CDP_AGENT_RETRIES,
    concurrency: config.CDP_AGENT_CONCURRENCY,
    ...(config.CDP_AGENT_TOKEN === undefined ? {} : { token: config.CDP_AGENT_TOKEN }),
    ...(Object.keys(tls).length === 0 ? {} : { tls }),
    ...(onAttempt === undefined ? {} : { onAttempt }),
    ...(log === undefined ? {} : { log })
  })
}
