// Which methods a path has routes for, so that a known path asked with another method is
// answered 405 with an `Allow` header instead of 404. Fastify's router only says "no route";
// this table is filled from its onRoute hook, so it always holds exactly what is registered.
import type { RouteOptions } from 'fastify'

interface RoutePattern { path: RegExp, methods: string[] }

/** `/volumes/:volume_uuid/image` → a regex where each `:param` is one path segment, `*` the rest. */
function pathPattern (url: string): RegExp {
  const source = url.split(/(:[A-Za-z0-9_]+|\*)/).map((part) => {
    if (part === '*') return '.*'
    if (part.startsWith(':')) return '[^/]+'
    return part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }).join('')
  return new RegExp(`^${source}$`)
}

export function createAllowedMethods () {
  const routes: RoutePattern[] = []
  return {
    add (route: RouteOptions): void {
      // A catch-all (the CORS preflight route `OPTIONS *`) says nothing about which paths exist.
      if (route.url === '*' || route.url === '/*') return
      routes.push({ path: pathPattern(route.url), methods: [route.method].flat() })
    },
    /** The methods `path` has routes for, in a stable order; empty for an unknown path. */
    allowed (path: string): string[] {
      const methods = new Set(routes.filter((route) => route.path.test(path)).flatMap((route) => route.methods))
      return [...methods].sort()
    }
  }
}
