// Bearer-token authentication for the CDP API and the control API. A token is either
// global or bound to one tenant: a tenant token acts only on that tenant's volumes (a
// request naming another tenant is FORBIDDEN; a volume of another tenant stays "not
// found", because the token's tenant is filled in wherever the request names none).
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { CdpError } from '../errors.js'
import { UUID_PATTERN } from '../uuid.js'

export interface ApiToken {
  token: string
  /** When set, the token may act on this tenant only. */
  tenant?: string
  /** Who holds it, for logs (the token itself is never logged). */
  name?: string
}

const TokensFile = Type.Object({
  tokens: Type.Array(Type.Object({
    token: Type.String({ minLength: 16 }),
    tenant: Type.Optional(Type.String({ pattern: UUID_PATTERN })),
    name: Type.Optional(Type.String())
  }), { minItems: 1 })
})

/** The tokens of a CDP_AUTH_TOKENS_FILE; a file that does not fit names where. */
export function loadTokens (path: string): ApiToken[] {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`)
  }
  const first = Value.Errors(TokensFile, value).First()
  if (first !== undefined) throw new Error(`${path}: ${first.path === '' ? '/' : first.path} ${first.message}`)
  return (value as { tokens: ApiToken[] }).tokens
}

export interface AuthOptions {
  tokens: ApiToken[]
  /** Paths under these prefixes need a token; others (health, metrics, docs) do not. */
  protectedPrefixes: string[]
  /** Paths under these prefixes are cluster-wide: a tenant token may not use them. */
  globalOnlyPrefixes: string[]
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The token holder's tenant when the request came with a tenant-bound token. */
    tokenTenant?: string
  }
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

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

async function auth (app: FastifyInstance, options: AuthOptions): Promise<void> {
  // Compared as digests in constant time, so neither length nor content leaks by timing.
  const known = options.tokens.map((t) => ({ ...t, digest: digest(t.token) }))
  const isUnder = (url: string, prefixes: string[]): boolean => prefixes.some((p) => url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`))

  app.addHook('onRequest', async (request, reply) => {
    if (!isUnder(request.url, options.protectedPrefixes)) return
    const header = request.headers.authorization ?? ''
    const presented = /^Bearer +(\S+)$/i.exec(header)?.[1]
    const holder = presented === undefined ? undefined : known.find((t) => timingSafeEqual(t.digest, digest(presented)))
    if (holder === undefined) {
      void reply.header('www-authenticate', 'Bearer')
      throw new CdpError('UNAUTHORIZED', presented === undefined ? 'send Authorization: Bearer <token>' : 'unknown token')
    }
    request.log.debug({ token: holder.name ?? 'unnamed', tenant: holder.tenant }, 'authenticated')
    if (holder.tenant === undefined) return
    if (isUnder(request.url, options.globalOnlyPrefixes)) throw new CdpError('FORBIDDEN', 'a tenant token may not use this endpoint')
    request.tokenTenant = holder.tenant.toLowerCase()
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
