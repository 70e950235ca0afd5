// Which agent serves which part of a cluster. A routing file maps each cluster to its
// agents: a route with `namespaces` serves those namespaces, a route without serves the
// cluster's other namespaces. A route's `urls` are replicas of one agent.
import { Type, type Static } from '@sinclair/typebox'
import { CdpError } from '../../errors.js'
import { fromSettingFile, loadJsonFile } from '../../json-file.js'
import { httpUrl } from '../../http-url.js'
import { UUID, UUID_PATTERN } from '../../uuid.js'

const AgentRouteSchema = Type.Object({
  cluster_uuid: Type.String({ pattern: UUID_PATTERN }),
  namespaces: Type.Optional(Type.Array(Type.String({ pattern: UUID_PATTERN }), { minItems: 1 })),
  urls: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })
}, { additionalProperties: false })

const RoutingFileSchema = Type.Object({
  description: Type.Optional(Type.String()),
  routes: Type.Array(AgentRouteSchema, { minItems: 1 })
}, { additionalProperties: false })

export type AgentRoute = Static<typeof AgentRouteSchema>

const SETTING = 'CDP_AGENTS'

/** A route as the backend uses it: ids lower-cased, and what a catch-all route leaves out. */
export interface ResolvedRoute {
  cluster_uuid: string
  /** Absent for the catch-all route. */
  namespaces?: string[]
  /** For the catch-all route: the namespaces the cluster's other routes serve. */
  exclude_namespaces: string[]
  urls: string[]
}

export class RoutingTable {
  private readonly clusters: Map<string, ResolvedRoute[]>

  constructor (routes: readonly AgentRoute[]) {
    this.clusters = resolve(checkRoutes(routes, 'routes'))
  }

  /** The routes of a cluster, in file order; an unknown cluster is CLUSTER_NOT_FOUND. */
  routesOf (clusterUuid: string): ResolvedRoute[] {
    const routes = this.clusters.get(clusterUuid.toLowerCase())
    if (routes === undefined) throw new CdpError('CLUSTER_NOT_FOUND', clusterUuid)
    return routes
  }

  /** Every route of every cluster. */
  routes (): ResolvedRoute[] {
    return [...this.clusters.values()].flat()
  }

  /** Every agent URL, each once. */
  urls (): string[] {
    return [...new Set([...this.clusters.values()].flat().flatMap((route) => route.urls))]
  }
}

/** Reads and checks a routing file; a bad file is an Error naming CDP_AGENTS, the file and the fault. */
export function loadAgentRoutes (file: string): AgentRoute[] {
  const { routes } = loadJsonFile(SETTING, file, RoutingFileSchema)
  return fromSettingFile(SETTING, file, () => checkRoutes(routes))
}

/** The rules a schema cannot say: usable URLs, exactly one catch-all per cluster, each namespace served once. */
function checkRoutes (routes: readonly AgentRoute[], source?: string): AgentRoute[] {
  const fail = (message: string): never => { throw new Error(source === undefined ? message : `${source}: ${message}`) }
  if (routes.length === 0) fail('no routes')
  const catchAll = new Set<string>()
  const served = new Set<string>()
  const clusters = new Set<string>()
  routes.forEach((route, i) => {
    const where = `/routes/${i}`
    if (!UUID.test(route.cluster_uuid)) fail(`${where}/cluster_uuid: not a uuid`)
    if (route.urls.length === 0) fail(`${where}/urls: needs at least one URL`)
    route.urls.forEach((url, j) => { checkUrl(url, `${where}/urls/${j}`, fail) })
    clusters.add(route.cluster_uuid.toLowerCase())
    const cluster = route.cluster_uuid.toLowerCase()
    if (route.namespaces === undefined) {
      if (catchAll.has(cluster)) fail(`${where}: cluster ${cluster} has two routes without namespaces`)
      catchAll.add(cluster)
      return
    }
    if (route.namespaces.length === 0) fail(`${where}/namespaces: leave it out for a catch-all route, or name at least one`)
    for (const ns of route.namespaces) {
      if (!UUID.test(ns)) fail(`${where}/namespaces: ${ns} is not a uuid`)
      const key = `${cluster}/${ns.toLowerCase()}`
      if (served.has(key)) fail(`${where}/namespaces: namespace ${ns} of cluster ${cluster} is served by two routes`)
      served.add(key)
    }
  })
  for (const cluster of clusters) {
    // Without one, the volumes of the cluster's other namespaces would have no agent.
    if (!catchAll.has(cluster)) fail(`cluster ${cluster} needs one route without namespaces, for its other namespaces`)
  }
  return [...routes]
}

function checkUrl (text: string, where: string, fail: (message: string) => never): void {
  let url: URL
  try {
    url = httpUrl(text)
  } catch (err) {
    return fail(`${where}: ${(err as Error).message}`)
  }
  if (url.username !== '' || url.password !== '') fail(`${where}: must not carry credentials (use CDP_AGENT_TOKEN); not echoed here`)
  if (url.search !== '' || url.hash !== '') fail(`${where}: ${url.origin}${url.pathname} must not have a query or fragment`)
}

function resolve (routes: readonly AgentRoute[]): Map<string, ResolvedRoute[]> {
  const clusters = new Map<string, ResolvedRoute[]>()
  for (const route of routes) {
    const cluster = route.cluster_uuid.toLowerCase()
    const list = clusters.get(cluster) ?? []
    list.push({
      cluster_uuid: cluster,
      ...(route.namespaces === undefined ? {} : { namespaces: route.namespaces.map((ns) => ns.toLowerCase()) }),
      exclude_namespaces: [],
      urls: route.urls.map((url) => url.replace(/\/+$/, ''))
    })
    clusters.set(cluster, list)
  }
  for (const list of clusters.values()) {
    const named = list.flatMap((route) => route.namespaces ?? [])
    for (const route of list) if (route.namespaces === undefined) route.exclude_namespaces = named
  }
  return clusters
}
