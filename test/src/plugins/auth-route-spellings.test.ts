// Authorisation under every spelling of every route, over raw sockets to a real listening
// server (HTTP clients would rewrite several of these targets before sending). Each route ×
// each spelling × each caller: a spelling the router maps to the route runs its handler
// under that route's rule, or is refused; a spelling it does not map is 404 for everyone;
// nothing runs without the rule. What should happen comes from the tables below, and what
// did run is seen by spies on the backend and the simulator's control.
import t from 'tap'
import type { CdpBackend } from '../../../src/backend/port.js'
import { buildApp } from '../../../src/app.js'
import { loadTopology, openSimulator, type Simulator } from '../../../simulator/index.js'
import { FaultRules } from '../../../simulator/faults.js'
import harnessRoutes from '../../../simulator/harness.js'
import { controlApiMount } from '../../../simulator/control-api.js'
import { registerJournalGauges } from '../../../simulator/gauges.js'
import { CDP, DEMO, DEMO_TOPOLOGY } from '../../helpers/app.js'
import { exchange, parseResponse, rawRequest, type RawResponse } from '../../helpers/raw-http.js'

const TOKENS = [
  { token: 'global-token-0123456789', name: 'console' },
  { token: 'ken-token-0123456789abc', tenant: DEMO.ken },
  { token: 'lin-token-0123456789abc', tenant: DEMO.lin }
]
const CALLERS = {
  none: undefined,
  bad: 'not-a-token-0123456789',
  global: 'global-token-0123456789',
  own: 'ken-token-0123456789abc',
  other: 'lin-token-0123456789abc'
} as const
type Caller = keyof typeof CALLERS
const TENANT_OF: Partial<Record<Caller, string>> = { own: DEMO.ken, other: DEMO.lin }

type Access = 'tenant' | 'cluster' | 'metrics' | 'public'
/** What each kind of route does for each caller: runs, or the status it is refused with. */
const RULES: Record<Access, Record<Caller, 'runs' | 401 | 403>> = {
  tenant: { none: 401, bad: 401, global: 'runs', own: 'runs', other: 'runs' },
  cluster: { none: 401, bad: 401, global: 'runs', own: 403, other: 403 },
  metrics: { none: 401, bad: 401, global: 'runs', own: 403, other: 403 },
  public: { none: 'runs', bad: 'runs', global: 'runs', own: 'runs', other: 'runs' }
}

interface Call { spy: 'backend' | 'control' | 'faults', name: string, args: unknown[] }

/**
 * Spellings that land on a route whose last segment is a parameter, with a value no uuid
 * check passes; nothing runs, and the refusal is that route's (cluster) rule, a global
 * caller's by the uuid check (400, 1004):
 * - %2F in `/sim/v1/volumes/<uuid>/<x>` makes one segment, `<uuid>/<x>`: GET
 *   /sim/v1/volumes/:volume_uuid (a volume's facts); a POST meets a known path with another
 *   method (405, 1011) for everyone;
 * - `;x=1` after a parameter is part of its value;
 * - a trailing slash on DELETE /sim/v1/faults is DELETE /sim/v1/faults/:id with an empty id.
 */
function landsOnBadParameter (route: Route, spelling: Spelling, caller: Caller): 400 | 401 | 403 | 405 | undefined {
  const spelled = spelling.spell(route.path)
  const lands = /^\/sim\/v1\/volumes\/[^/]+%2F[^/]+$/.test(spelled) ||
    (route.endsInParameter === true && spelling.name === ';parameter') ||
    (route.method === 'DELETE' && route.path === '/sim/v1/faults' && spelling.name === 'trailing slash')
  if (!lands) return undefined
  if (route.method === 'POST') return 405
  const rule = RULES.cluster[caller]
  return rule === 'runs' ? 400 : rule
}

interface Route {
  method: 'GET' | 'POST' | 'HEAD' | 'PUT' | 'DELETE'
  path: string
  /** The last segment is a parameter: upper-cased it is another value of it, so the route still matches. */
  endsInParameter?: true
  query?: string
  body?: unknown
  /** Headers beside the token (a Range, so that a raw image is one block, not the volume's 10 GiB). */
  headers?: Record<string, string>
  access: Access
  /** The call that shows the handler ran, or what in the answer shows it. */
  ran: string | ((answer: RawResponse) => boolean)
}

const cdp1 = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }
const point = { snapshot_name: 'CDP-auto-1630053321', timestamp: 1630053321000000000n }
const ONE_BLOCK = { Range: 'bytes=0-4095' }
const ROUTES: Route[] = [
  { method: 'POST', path: `${CDP}/edit`, body: { cdp_priority: 'mid', reserve_capacity: 1073741824, reserve_duration: 3600, volumes: [cdp1] }, access: 'tenant', ran: 'edit' },
  { method: 'POST', path: `${CDP}/enable`, body: { volumes: [cdp1] }, access: 'tenant', ran: 'enable' },
  { method: 'POST', path: `${CDP}/disable`, body: { volumes: [cdp1] }, access: 'tenant', ran: 'disable' },
  { method: 'GET', path: `${CDP}/list`, query: `cluster_uuid=${DEMO.cluster}`, access: 'tenant', ran: 'list' },
  { method: 'GET', path: `${CDP}/info`, query: `cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`, access: 'tenant', ran: 'info' },
  { method: 'HEAD', path: `${CDP}/info`, query: `cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}`, access: 'tenant', ran: 'info' },
  { method: 'POST', path: `${CDP}/clean`, body: { ...cdp1, usd_seq: 7 }, access: 'tenant', ran: 'clean' },
  { method: 'POST', path: `${CDP}/view`, body: { ...cdp1, op: 'on', ...point }, access: 'tenant', ran: 'viewOn' },
  { method: 'POST', path: `${CDP}/revert`, body: { ...cdp1, ...point }, access: 'tenant', ran: 'revert' },
  { method: 'POST', path: `${CDP}/group/revert`, body: { cluster_uuid: DEMO.cluster, volumes: [cdp1], timestamp: point.timestamp }, access: 'tenant', ran: 'groupRevert' },
  { method: 'GET', path: `${CDP}/changes`, query: `cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.cdp1}&from=1&to=2`, access: 'tenant', ran: 'changes' },
  { method: 'GET', path: '/sim/v1/clock', access: 'cluster', ran: 'clock' },
  { method: 'HEAD', path: '/sim/v1/clock', access: 'cluster', ran: 'clock' },
  { method: 'POST', path: '/sim/v1/clock/advance', body: { seconds: 1 }, access: 'cluster', ran: 'advance' },
  { method: 'POST', path: `/sim/v1/volumes/${DEMO.cdp1}/writes`, body: { writes: [{ offset: 0, length: 4096, fill: 3 }] }, access: 'cluster', ran: 'write' },
  { method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}/image`, access: 'cluster', ran: 'image' },
  { method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}/view/image`, access: 'cluster', ran: 'viewImage' },
  { method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}/recoverable`, access: 'cluster', ran: 'recoverable' },
  { method: 'POST', path: `/sim/v1/hosts/${DEMO.host1}/state`, body: { online: true }, access: 'cluster', ran: 'setHostOnline' },
  { method: 'POST', path: `/sim/v1/vms/${DEMO.kenVm}/state`, body: { running: false }, access: 'cluster', ran: 'setVmRunning' },
  { method: 'POST', path: `/sim/v1/hosts/${DEMO.host1}/disks`, body: { path: '/dev/sdd', state: 'ok' }, access: 'cluster', ran: 'setDiskState' },
  { method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}`, access: 'cluster', ran: 'volumes', endsInParameter: true },
  { method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}/view`, access: 'cluster', ran: 'viewFacts' },
  { method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}/image/raw`, headers: ONE_BLOCK, access: 'cluster', ran: 'readImage' },
  { method: 'GET', path: `/sim/v1/volumes/${DEMO.cdp1}/view/raw`, headers: ONE_BLOCK, access: 'cluster', ran: 'viewFacts' },
  // The harness calls: a reset, state out and in (JSON is no state file: only the handler says so), snapshots, fault rules.
  { method: 'POST', path: '/sim/v1/reset', access: 'cluster', ran: 'reset' },
  { method: 'GET', path: '/sim/v1/state', access: 'cluster', ran: 'saveState' },
  { method: 'PUT', path: '/sim/v1/state', body: { state: 'x' }, access: 'cluster', ran: (a) => a.status === 400 && JSON.parse(a.body).scode === 1051 },
  { method: 'POST', path: '/sim/v1/snapshots', body: { volumes: [DEMO.cdp1] }, access: 'cluster', ran: 'takeSnapshots' },
  { method: 'POST', path: '/sim/v1/faults', body: { operation: 'info', probability: 0, latency_ms: 1 }, access: 'cluster', ran: 'add' },
  { method: 'GET', path: '/sim/v1/faults', access: 'cluster', ran: 'list' },
  { method: 'DELETE', path: '/sim/v1/faults', access: 'cluster', ran: 'clear' },
  { method: 'DELETE', path: `/sim/v1/faults/${DEMO.kenVm}`, access: 'cluster', ran: 'remove', endsInParameter: true },
  { method: 'GET', path: '/metrics', access: 'metrics', ran: 'journalStats' },
  { method: 'GET', path: '/healthz', access: 'public', ran: (a) => a.status === 200 && JSON.parse(a.body).data.status === 'up' },
  { method: 'GET', path: '/readyz', access: 'public', ran: 'ready' },
  { method: 'GET', path: '/docs/json', access: 'public', ran: (a) => a.status === 200 && 'openapi' in JSON.parse(a.body) },
  { method: 'GET', path: '/docs/yaml', access: 'public', ran: (a) => a.status === 200 && a.body.startsWith('openapi:') }
]

const hex = (c: string, upper: boolean): string => {
  const code = `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`
  return upper ? code.toUpperCase() : code
}
/** Rewrites one segment (1 is the first) of a path. */
const inSegment = (path: string, index: number, rewrite: (segment: string) => string): string =>
  path.split('/').map((segment, i) => i === (index < 0 ? path.split('/').length + index : index) ? rewrite(segment) : segment).join('/')
/** The first character of a segment whose %-escape has a hex letter (j…o), else the first letter. */
const encodeLetter = (upper: boolean) => (segment: string): string => {
  const at = segment.search(/[j-o]/) === -1 ? segment.search(/[a-z]/) : segment.search(/[j-o]/)
  return at === -1 ? segment : `${segment.slice(0, at)}${hex(segment[at] ?? '', upper)}${segment.slice(at + 1)}`
}
const encodeDigit = (path: string): string => /\d/.test(path) ? path.replace(/\d/, (d) => hex(d, false)) : inSegment(path, 1, encodeLetter(false))

interface Spelling {
  name: string
  spell: (path: string) => string
  /** Does the router map it to the route? Written here from what HTTP says, not from the code. */
  routes: boolean
}

const SPELLINGS: Spelling[] = [
  { name: 'as written', spell: (p) => p, routes: true },
  { name: 'first segment %-encoded letter', spell: (p) => inSegment(p, 1, (s) => `${hex(s[0] ?? '', false)}${s.slice(1)}`), routes: true },
  { name: 'last segment %-encoded letter, lower-case hex', spell: (p) => inSegment(p, -1, encodeLetter(false)), routes: true },
  { name: 'last segment %-encoded letter, upper-case hex', spell: (p) => inSegment(p, -1, encodeLetter(true)), routes: true },
  { name: '%-encoded digit', spell: encodeDigit, routes: true },
  { name: 'last segment wholly %-encoded', spell: (p) => inSegment(p, -1, (s) => [...s].map((c) => hex(c, true)).join('')), routes: true },
  { name: 'absolute-form http://', spell: (p) => `http://cdp.invalid${p}`, routes: true },
  { name: 'absolute-form https://', spell: (p) => `https://cdp.invalid${p}`, routes: true },
  { name: 'absolute-form with a %-encoded letter', spell: (p) => `http://cdp.invalid${inSegment(p, 1, encodeLetter(true))}`, routes: true },
  { name: 'doubled slash', spell: (p) => p.replace(/\/([^/]*)$/, '//$1'), routes: false },
  { name: 'trailing slash', spell: (p) => `${p}/`, routes: false },
  { name: ';parameter', spell: (p) => `${p};x=1`, routes: false },
  { name: '. segment', spell: (p) => p.replace(/\/([^/]*)$/, '/./$1'), routes: false },
  { name: '.. segment', spell: (p) => p.replace(/\/([^/]*)$/, '/x/../$1'), routes: false },
  { name: '%-encoded . segment', spell: (p) => p.replace(/\/([^/]*)$/, '/%2e/$1'), routes: false },
  { name: 'upper-case first segment', spell: (p) => inSegment(p, 1, (s) => s.toUpperCase()), routes: false },
  { name: 'upper-case last segment', spell: (p) => inSegment(p, -1, (s) => s.toUpperCase()), routes: false },
  { name: '%2F for a slash', spell: (p) => p.lastIndexOf('/') > 0 ? p.replace(/\/([^/]*)$/, '%2F$1') : `/%2F${p.slice(1)}`, routes: false }
]

/** A proxy that records each method called on the target while `log` is set. */
function spy<T extends object> (target: T, name: Call['spy'], log: { calls: Call[] }): T {
  return new Proxy(target, {
    get (object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver)
      if (typeof value !== 'function' || typeof property !== 'string') return value
      return (...args: unknown[]) => {
        log.calls.push({ spy: name, name: property, args })
        return (value as (...a: unknown[]) => unknown).apply(object, args)
      }
    }
  })
}

/** Every `tenant` a call's arguments carry, however deep. */
function tenantsIn (value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(tenantsIn)
  if (typeof value !== 'object' || value === null) return []
  return Object.entries(value).flatMap(([key, v]) => key === 'tenant' && typeof v === 'string' ? [v] : tenantsIn(v))
}

const json = (value: unknown): string => JSON.stringify(value, (_key, v: unknown) => typeof v === 'bigint' ? `${v}` : v)

t.test('every route × every spelling × every caller: runs under the route\'s rule, or is refused, never runs without it', async (t) => {
  const log = { calls: [] as Call[] }
  const sim = openSimulator({ db: ':memory:', topology: loadTopology(DEMO_TOPOLOGY), clock: { mode: 'manual' } })
  await sim.enable([cdp1])
  sim.write(DEMO.cdp1, [{ offset: 0, length: 4096, fill: 1 }])
  const control = spy<Simulator>(sim, 'control', log)
  const mounted = controlApiMount(control)
  const spied = await buildApp({
    tokens: TOKENS,
    backend: spy<CdpBackend>(sim, 'backend', log),
    controlApi: {
      prefix: mounted.prefix,
      plugin: async (app) => {
        await app.register(mounted.plugin)
        await app.register(harnessRoutes, { control, faults: spy(new FaultRules(), 'faults', log) })
      }
    },
    registerGauges: (registry) => { registerJournalGauges(registry, () => control.journalStats()) }
  })
  t.teardown(() => spied.close())
  await spied.listen({ host: '127.0.0.1', port: 0 })
  const address = spied.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')

  const failures: string[] = []
  let requests = 0
  for (const route of ROUTES) {
    for (const spelling of SPELLINGS) {
      const target = `${spelling.spell(route.path)}${route.query === undefined ? '' : `?${route.query}`}`
      for (const caller of Object.keys(CALLERS) as Caller[]) {
        const token = CALLERS[caller]
        log.calls = []
        const bytes = rawRequest(route.method, target, { ...route.headers, ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }) }, route.body === undefined ? undefined : json(route.body))
        // Not half-closed: Node's server drops a half-closed connection whose answer takes several turns (GET /sim/v1/state).
        const answer = parseResponse(await exchange(address.port, bytes, { halfClose: false }))
        requests++
        const what = `${route.method} ${target} as ${caller}`
        if (answer === undefined) {
          failures.push(`${what}: no answer`)
          continue
        }
        const ran = typeof route.ran === 'string' ? log.calls.some((c) => c.name === route.ran) : route.ran(answer)
        const scode = route.method === 'HEAD' || answer.body === '' || !answer.headers['content-type']?.includes('json') ? undefined : JSON.parse(answer.body).scode
        const routes = spelling.routes || (route.endsInParameter === true && spelling.name === 'upper-case last segment')
        const expected = routes ? RULES[route.access][caller] : (landsOnBadParameter(route, spelling, caller) ?? 404)
        if (expected === 'runs') {
          if (!ran) failures.push(`${what}: expected the handler to run, got ${answer.status} ${String(scode)}`)
          const bound = TENANT_OF[caller]
          const tenants = log.calls.flatMap((c) => tenantsIn(c.args))
          if (route.access === 'tenant' && bound !== undefined && (tenants.length === 0 || tenants.some((x) => x.toLowerCase() !== bound))) {
            failures.push(`${what}: the call was not bound to the token's tenant: ${tenants.join(', ')}`)
          }
          if (route.access === 'tenant' && bound === undefined && tenants.length > 0) failures.push(`${what}: a global token's call named tenants ${tenants.join(', ')}`)
        } else {
          if (ran || log.calls.length > 0) failures.push(`${what}: expected ${expected}, but ${log.calls.map((c) => c.name).join(', ') || 'the handler'} ran`)
          if (answer.status !== expected) failures.push(`${what}: expected ${expected}, got ${answer.status}`)
          const expectedScode = { 400: 1004, 401: 2001, 403: 2003, 404: 1010, 405: 1011 }[expected]
          if (route.method !== 'HEAD' && scode !== expectedScode) failures.push(`${what}: expected scode ${expectedScode}, got ${String(scode)}`)
        }
      }
    }
  }
  t.same(failures, [], 'every request met its expectation')
  t.equal(requests, ROUTES.length * SPELLINGS.length * Object.keys(CALLERS).length)
  t.comment(`matrix: ${ROUTES.length} routes × ${SPELLINGS.length} spellings × ${Object.keys(CALLERS).length} callers = ${requests} raw requests`)
})
