// Bearer-token authorisation, decided on the route the router matched (never on the URL's
// text, which has many spellings: %-escapes, absolute-form targets). Deny by default: every
// route needs a token unless the app lists it as public. A token is global, bound to one
// tenant, or for metrics only. A tenant token acts only on its tenant's volumes (a request
// naming another tenant is FORBIDDEN; a volume of another tenant stays "not found", because
// the token's tenant is filled in wherever the request names none).
import { createHash, timingSafeEqual } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyPluginAsync, FastifyPluginOptions, FastifyRequest, FastifyTypeProvider, RawServerDefault } from 'fastify'
import fp from 'fastify-plugin'
import { CdpError } from '../errors.js'
import { loadJsonFile } from '../json-file.js'
import { UUID_PATTERN } from '../uuid.js'

export interface ApiToken {
  token: string
  /** When set, the token may act on this tenant only. */
  tenant?: string
  /** `metrics`: the token may read /metrics and nothing else (for a Prometheus scraper). */
  scope?: 'metrics'
  /** Who holds it, for logs (the token itself is never logged). */
  name?: string
}

const TokensFile = Type.Object({
  tokens: Type.Array(Type.Object({
    token: Type.String({ minLength: 16 }),
    tenant: Type.Optional(Type.String({ pattern: UUID_PATTERN })),
    scope: Type.Optional(Type.Literal('metrics')),
    name: Type.Optional(Type.String())
  }, { additionalProperties: false }), { minItems: 1 })
}, { additionalProperties: false })

const SETTING = 'CDP_AUTH_TOKENS_FILE'

/** The tokens of a CDP_AUTH_TOKENS_FILE; a file that does not fit names the setting and where. */
export function loadTokens (path: string): ApiToken[] {
  const { tokens } = loadJsonFile(SETTING, path, TokensFile)
  tokens.forEach((token, i) => {
    if (token.scope !== undefined && token.tenant !== undefined) {
      throw new Error(`invalid configuration: ${SETTING} (${path}): /tokens/${i}: a metrics token sees every tenant's volumes; leave out tenant`)
    }
  })
  return tokens
}

/**
 * Who may call a route, declared in its config. Absent: any global or tenant token (the
 * tenant bound). `cluster`: global tokens only (the route acts across tenants). `metrics`:
 * global or metrics tokens. No route can declare itself public: only the app's list can.
 */
export type RouteAccess = 'cluster' | 'metrics'

/** A public route by its pattern (`/docs/*` covers what is under /docs) and, if given, method. */
export interface PublicRoute {
  url: string
  method?: string
}

export interface AuthOptions {
  tokens: ApiToken[]
  /** The one list of routes that need no token; every other route does. */
  publicRoutes: PublicRoute[]
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess
  }
  interface FastifyRequest {
    /** The token holder's tenant when the request came with a tenant-bound token. */
    tokenTenant?: string
  }
}

/** Wraps a plugin so that every route it adds is cluster-wide (global tokens only). */
export function clusterWide<Options extends FastifyPluginOptions, Provider extends FastifyTypeProvider> (
  plugin: FastifyPluginAsync<Options, RawServerDefault, Provider>
): FastifyPluginAsync<Options, RawServerDefault, Provider> {
  return async (scope, options) => {
    scope.addHook('onRoute', (route) => { route.config = { ...route.config, access: 'cluster' } })
    // The prefix was applied to this scope already; the inner plugin must not repeat it.
    const { prefix: _prefix, ...inner } = options as Options & { prefix?: string }
    await scope.register(plugin, inner as Options)
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

/** Whether a request (or a route, for the OpenAPI document) is covered by a public route. */
export function matches (route: PublicRoute, url: string, method: string): boolean {
  if (route.method !== undefined && route.method !== method) return false
  return route.url.endsWith('*') ? url.startsWith(route.url.slice(0, -1)) : url === route.url
}

/** Where a request may name a tenant: the querystring, the body, and each batch volume. */
interface TenantCarrier { tenant?: unknown }

function tenantCarriers (request: FastifyRequest): TenantCarrier[] {
  const carriers: TenantCarrier[] = []
  const add = (value: unknown): void => {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) carriers.push(value as TenantCarrier)
  }
  add(request.query)
  add(request.body)
  const volumes = (request.body as { volumes?: unknown } | undefined)?.volumes
  if (Array.isArray(volumes)) volumes.forEach(add)
  return carriers
}

/** Why this token may not call a route of this access, or undefined when it may. */
function refusal (access: RouteAccess | undefined, holder: ApiToken): CdpError | undefined {
  const global = holder.tenant === undefined && holder.scope === undefined
  if (access === 'cluster' && !global) return new CdpError('ENDPOINT_FORBIDDEN', 'this endpoint acts across tenants: it needs a global token')
  if (access === 'metrics' && !global && holder.scope !== 'metrics') return new CdpError('ENDPOINT_FORBIDDEN', 'metrics need a global or a metrics token')
  if (access === undefined && holder.scope === 'metrics') return new CdpError('ENDPOINT_FORBIDDEN', 'a metrics token may read /metrics only')
  return undefined
}

async function auth (app: FastifyInstance, options: AuthOptions): Promise<void> {
  // Compared as digests in constant time, so neither length nor content leaks by timing.
  const known = options.tokens.map((t) => ({ ...t, digest: digest(t.token) }))

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions
    // No route matched: the not-found handler answers, running nothing, for every caller alike.
    if (route.url === undefined) return
    if (options.publicRoutes.some((p) => matches(p, route.url ?? '', request.method))) return
    const header = request.headers.authorization ?? ''
    const presented = /^Bearer +(\S+)$/i.exec(header)?.[1]
    const holder = presented === undefined ? undefined : known.find((t) => timingSafeEqual(t.digest, digest(presented)))
    if (holder === undefined) {
      void reply.header('www-authenticate', 'Bearer')
      throw new CdpError('UNAUTHORIZED', presented === undefined ? 'send Authorization: Bearer <token>' : 'unknown token')
    }
    request.log.debug({ token: holder.name ?? 'unnamed', tenant: holder.tenant }, 'authenticated')
    const refused = refusal(route.config.access, holder)
    if (refused !== undefined) throw refused
    if (holder.tenant !== undefined) request.tokenTenant = holder.tenant.toLowerCase()
  })

  // After validation, so tenants are well-formed uuids by now.
  app.addHook('preHandler', async (request) => {
    const tenant = request.tokenTenant
    if (tenant === undefined) return
    for (const carrier of tenantCarriers(request)) {
      if (carrier.tenant === undefined) carrier.tenant = tenant
      else if (String(carrier.tenant).toLowerCase() !== tenant) throw new CdpError('FORBIDDEN', `the token may not act on tenant ${String(carrier.tenant)}`)
    }
  })
}

export default fp(auth, { name: 'volume-cdp-auth', fastify: '5.x' })
