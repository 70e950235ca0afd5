// Isolation: every endpoint tried with another tenant's volume (named by tenant field or
// parameter, and through tenant-bound tokens), a missing cluster, a volume without CDP and a
// volume of another cluster. Each gets the right scode, answers exactly as for a volume that
// does not exist, and no answer carries anything of the other tenant (names, uuids, VMs,
// namespaces, counts); refused requests change nothing.
import t, { type Test } from 'tap'
import type { InjectOptions } from 'fastify'
import type { Topology } from '../../simulator/index.js'
import { CDP, SECOND, openTestApp, parseLossless, stringifyLossless } from '../helpers/app.js'
import { stateFingerprint } from '../helpers/fingerprint.js'

const id = (n: number, kind: string) => `${kind}0000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const CLUSTER_A = id(1, 'c')
const CLUSTER_B = id(2, 'c')
const MISSING_CLUSTER = id(9, 'c')
const ALPHA = id(1, 'a')
const BETA = id(2, 'a')
const NS = { alphaA: id(1, 'e'), betaA: id(2, 'e'), sharedB: id(3, 'e') }
const VM = { alpha: id(1, 'f'), beta: id(2, 'f') }
const V = {
  alphaSecret: id(1, 'd'),
  alphaPlain: id(2, 'd'),
  alphaInB: id(3, 'd'),
  betaCdp: id(4, 'd'),
  betaPlain: id(5, 'd'),
  betaInB: id(6, 'd'),
  nowhere: id(99, 'd')
}

const host = (n: number) => ({ uuid: id(n, 'b'), maddr: `127.0.0.${n}`, cdp_disks: [{ path: '/dev/sdd', capacity: 2 ** 40 }] })
const topology: Topology = {
  clusters: [
    { uuid: CLUSTER_A, name: 'cluster-a', mode: '', namespaces: [{ uuid: NS.alphaA, tenants: [ALPHA] }, { uuid: NS.betaA, tenants: [BETA] }], hosts: [host(1)] },
    { uuid: CLUSTER_B, name: 'cluster-b', mode: '', namespaces: [{ uuid: NS.sharedB }], hosts: [host(2)] }
  ],
  tenants: [{ uuid: ALPHA, name: 'alphacorp-tenant' }, { uuid: BETA, name: 'betacorp-tenant' }],
  vms: [{ uuid: VM.alpha, name: 'alphacorp-vm', running: false }, { uuid: VM.beta, name: 'betacorp-vm', running: false }],
  volumes: [
    { uuid: V.alphaSecret, name: 'alphacorp-secret-db', size: 1 << 24, cluster: CLUSTER_A, namespace: NS.alphaA, tenant: ALPHA, vm: VM.alpha, owner: 'alphacorp-owner', vm_type: 'alphacorp-kvm' },
    { uuid: V.alphaPlain, name: 'alphacorp-plain', size: 1 << 24, cluster: CLUSTER_A, namespace: NS.alphaA, tenant: ALPHA },
    { uuid: V.alphaInB, name: 'alphacorp-in-b', size: 1 << 24, cluster: CLUSTER_B, namespace: NS.sharedB, tenant: ALPHA },
    { uuid: V.betaCdp, name: 'betacorp-db', size: 1 << 24, cluster: CLUSTER_A, namespace: NS.betaA, tenant: BETA, vm: VM.beta },
    { uuid: V.betaPlain, name: 'betacorp-plain', size: 1 << 24, cluster: CLUSTER_A, namespace: NS.betaA, tenant: BETA },
    { uuid: V.betaInB, name: 'betacorp-in-b', size: 1 << 24, cluster: CLUSTER_B, namespace: NS.sharedB, tenant: BETA }
  ]
}

/** Everything of alpha's that beta must never see, unless beta's own request carried it. */
const ALPHA_SECRETS = [
  ALPHA, 'alphacorp', NS.alphaA, VM.alpha, V.alphaSecret, V.alphaPlain, V.alphaInB, id(1, 'b')
]

const TOKENS = [
  { token: 'global-token-0123456789', name: 'console' },
  { token: 'alpha-token-0123456789ab', tenant: ALPHA, name: 'alpha' },
  { token: 'beta-token-0123456789abc', tenant: BETA, name: 'beta' }
]
const BETA_TOKEN = 'beta-token-0123456789abc'
const policy = { cdp_priority: 'mid', reserve_capacity: 1 << 30, reserve_duration: 3600 }

type Scenario = 'other tenant named' | 'other tenant via token' | 'token naming other tenant' | 'missing cluster' | 'no CDP' | 'other cluster'

interface Probe {
  cluster: string
  volume: string
  tenant?: string
  token?: string
}

/** One request per endpoint for a probe; a point that exists on alpha's volume for view/revert. */
function requests (probe: Probe, point: { snapshot_name: string, timestamp: bigint }) {
  const ref = { cluster_uuid: probe.cluster, volume_uuid: probe.volume, ...(probe.tenant === undefined ? {} : { tenant: probe.tenant }) }
  const query = new URLSearchParams({ cluster_uuid: probe.cluster, volume_uuid: probe.volume, ...(probe.tenant === undefined ? {} : { tenant: probe.tenant }) })
  return [
    { name: 'edit', method: 'POST', url: `${CDP}/edit`, body: { ...policy, volumes: [ref] }, batch: true },
    { name: 'enable', method: 'POST', url: `${CDP}/enable`, body: { volumes: [ref] }, batch: true },
    { name: 'disable', method: 'POST', url: `${CDP}/disable`, body: { volumes: [ref] }, batch: true },
    { name: 'info', method: 'GET', url: `${CDP}/info?${query}` },
    { name: 'clean', method: 'POST', url: `${CDP}/clean`, body: ref },
    { name: 'clean usd_seq', method: 'POST', url: `${CDP}/clean`, body: { ...ref, usd_seq: 0 } },
    { name: 'view on', method: 'POST', url: `${CDP}/view`, body: { ...ref, op: 'on', ...point } },
    { name: 'view off', method: 'POST', url: `${CDP}/view`, body: { ...ref, op: 'off' } },
    { name: 'revert', method: 'POST', url: `${CDP}/revert`, body: { ...ref, ...point } }
  ] as const
}

async function open (t: Test) {
  const { app, sim } = await openTestApp(t, { topology, app: { tokens: TOKENS } })
  const cdp = [CLUSTER_A, CLUSTER_B].flatMap((cluster) => topology.volumes.filter((v) => v.cluster === cluster && !v.name.includes('plain')).map((v) => ({ cluster_uuid: cluster, volume_uuid: v.uuid })))
  await sim.enable(cdp)
  const time = sim.write(V.alphaSecret, [{ offset: 0, length: 4096, fill: 1 }]).time
  sim.write(V.betaCdp, [{ offset: 0, length: 4096, fill: 2 }])
  sim.advance(5n * SECOND)
  const snapshot = (await sim.info({ cluster_uuid: CLUSTER_A, volume_uuid: V.alphaSecret })).cdp_info[0]?.snaps[0]?.name ?? ''
  const send = async (method: string, url: string, body: unknown, token = TOKENS[0]?.token) => {
    const options: InjectOptions = { method: method as 'GET' | 'POST', url, headers: { authorization: `Bearer ${token ?? ''}` } }
    if (body !== undefined) {
      options.headers = { ...options.headers, 'content-type': 'application/json' }
      options.payload = stringifyLossless(body)
    }
    const res = await app.inject(options)
    return { status: res.statusCode, text: res.body, body: parseLossless(res.body) as any }
  }
  return { app, sim, send, point: { snapshot_name: snapshot, timestamp: time }, fingerprint: () => stateFingerprint(sim, topology) }
}

/** The scode a request gets, as a whole answer or as its one batch item. */
function scodeOf (answer: { status: number, body: any }, batch: boolean): number {
  return batch && answer.status === 200 ? answer.body.data.results[0].scode : answer.body.scode
}

/** The answer's text with the probe's own ids taken out: what is left must hold none of alpha's. */
function leaks (text: string, sent: string): string[] {
  return ALPHA_SECRETS.filter((secret) => !sent.includes(secret) && text.includes(secret))
}

const PROBES: Array<{ scenario: Scenario, probe: Probe }> = [
  { scenario: 'other tenant named', probe: { cluster: CLUSTER_A, volume: V.alphaSecret, tenant: BETA } },
  { scenario: 'other tenant via token', probe: { cluster: CLUSTER_A, volume: V.alphaSecret, token: BETA_TOKEN } },
  { scenario: 'token naming other tenant', probe: { cluster: CLUSTER_A, volume: V.alphaSecret, tenant: ALPHA, token: BETA_TOKEN } },
  { scenario: 'missing cluster', probe: { cluster: MISSING_CLUSTER, volume: V.alphaSecret } },
  { scenario: 'no CDP', probe: { cluster: CLUSTER_A, volume: V.alphaPlain, tenant: ALPHA } },
  { scenario: 'other cluster', probe: { cluster: CLUSTER_A, volume: V.alphaInB } }
]

/** What each scenario answers: 3002 VOLUME_NOT_FOUND, 2002 FORBIDDEN, 3001 CLUSTER_NOT_FOUND, 3003 CDP_NOT_FOUND. */
function expected (scenario: Scenario): number {
  switch (scenario) {
    case 'other tenant named': case 'other tenant via token': case 'other cluster': return 3002
    case 'token naming other tenant': return 2002
    case 'missing cluster': return 3001
    case 'no CDP': return 3003
  }
}

/** edit and enable create CDP where there is none (the spec's 不存在时即创建): not a refusal to probe. */
const CREATES = new Set(['edit', 'enable'])

t.test('every endpoint × every scenario: the right scode, answered as for a missing volume, nothing of alpha leaks, nothing changes', async (t) => {
  const { send, point, fingerprint } = await open(t)
  for (const { scenario, probe } of PROBES) {
    for (const request of requests(probe, point).filter((r) => scenario !== 'no CDP' || !CREATES.has(r.name))) {
      const batch = 'batch' in request
      const expect = expected(scenario)
      const before = await fingerprint()
      const answer = await send(request.method, request.url, 'body' in request ? request.body : undefined, probe.token)
      t.equal(scodeOf(answer, batch), expect, `${scenario}, ${request.name}: scode ${expect}`)
      t.equal(await fingerprint(), before, `${scenario}, ${request.name}: nothing changed`)
      if (scenario !== 'no CDP') {
        const sent = request.url + stringifyLossless('body' in request ? request.body : '')
        t.same(leaks(answer.text, sent), [], `${scenario}, ${request.name}: nothing of alpha's in the answer`)
      }
      if (expect === 3002) {
        // Indistinguishable from a volume that does not exist at all.
        const ghost = await send(request.method, request.url.replace(probe.volume, V.nowhere),
          'body' in request ? parseLossless(stringifyLossless(request.body).replace(probe.volume, V.nowhere)) : undefined, probe.token)
        t.equal(answer.text.replaceAll(probe.volume, V.nowhere), ghost.text, `${scenario}, ${request.name}: the same answer as for a missing volume`)
      }
    }
  }
})

t.test('list: beta (by tenant parameter or token) sees only its ranges, volumes and counts; a missing cluster is CLUSTER_NOT_FOUND', async (t) => {
  const { send, sim } = await open(t)
  await sim.disable([{ cluster_uuid: CLUSTER_A, volume_uuid: V.betaCdp }])
  const asBeta = [
    await send('GET', `${CDP}/list?cluster_uuid=${CLUSTER_A}&tenant=${BETA}`, undefined),
    await send('GET', `${CDP}/list?cluster_uuid=${CLUSTER_A}`, undefined, BETA_TOKEN),
    await send('GET', `${CDP}/list?cluster_uuid=${CLUSTER_B}`, undefined, BETA_TOKEN),
    await send('GET', `${CDP}/list?cluster_uuid=${CLUSTER_A}&filter_name=alphacorp`, undefined, BETA_TOKEN),
    await send('GET', `${CDP}/list?cluster_uuid=${CLUSTER_A}&filter_name=${V.alphaSecret}&page_num=0&page_size=1`, undefined, BETA_TOKEN)
  ]
  for (const [i, answer] of asBeta.entries()) {
    t.equal(answer.status, 200, `list ${i}`)
    t.ok(answer.body.data.List.every((item: { tenant: string }) => item.tenant === BETA), `list ${i}: beta's volumes only`)
    t.equal(answer.body.data.TotalCount, answer.body.data.List.length, `list ${i}: the total counts beta's only`)
    t.same(leaks(answer.text, ''), [], `list ${i}: nothing of alpha's`)
  }
  t.same(asBeta[0]?.body.data.each_range_list_state.map((r: { namespace_uuid: string }) => r.namespace_uuid), [NS.betaA], 'one range: beta\'s namespace')
  t.same(asBeta[2]?.body.data.List.map((v: { volume_uuid: string }) => v.volume_uuid), [V.betaInB], 'cluster b: beta\'s volume only')
  t.same([asBeta[3]?.body.data.TotalCount, asBeta[4]?.body.data.TotalCount], [0, 0], 'filters matching alpha\'s volumes find nothing')
  const forbidden = await send('GET', `${CDP}/list?cluster_uuid=${CLUSTER_A}&tenant=${ALPHA}`, undefined, BETA_TOKEN)
  t.equal(forbidden.body.scode, 2002, 'beta\'s token naming alpha: FORBIDDEN')
  const missing = await send('GET', `${CDP}/list?cluster_uuid=${MISSING_CLUSTER}`, undefined, BETA_TOKEN)
  t.equal(missing.body.scode, 3001, 'a missing cluster: CLUSTER_NOT_FOUND')
  t.same(leaks(forbidden.text + missing.text, `${ALPHA}`), [], 'nothing of alpha\'s in the refusals')
})

t.test('the control API refuses tenant tokens on every route, and tells nothing', async (t) => {
  const { send } = await open(t)
  const routes: Array<[string, string, unknown]> = [
    ['GET', '/sim/v1/clock', undefined],
    ['POST', '/sim/v1/clock/advance', { seconds: 1 }],
    ['POST', `/sim/v1/volumes/${V.alphaSecret}/writes`, { writes: [{ offset: 0, length: 4096, fill: 9 }] }],
    ['GET', `/sim/v1/volumes/${V.alphaSecret}/image`, undefined],
    ['GET', `/sim/v1/volumes/${V.alphaSecret}/view/image`, undefined],
    ['GET', `/sim/v1/volumes/${V.alphaSecret}/recoverable`, undefined],
    ['POST', `/sim/v1/hosts/${id(1, 'b')}/state`, { online: false }],
    ['POST', `/sim/v1/vms/${VM.alpha}/state`, { running: true }]
  ]
  for (const [method, url, body] of routes) {
    const answer = await send(method, url, body, BETA_TOKEN)
    t.equal(answer.body.scode, 2003, `${method} ${url}: ENDPOINT_FORBIDDEN`)
    t.same(leaks(answer.text, url), [], `${method} ${url}: nothing of alpha's`)
  }
})
