// Two API server processes (agent mode) against one `cdp-sim agent`, driven at the same
// time on the same volumes: edits with different policies, enable/disable, views on and
// off, reverts, and writes and clock ticks through the agent's /sim/v1. Every answer is a
// well-formed envelope and none is a 5xx; the final state is one a serial order of the
// acknowledged calls gives, and both APIs report it alike. The API keeps no state, so
// this holds because the agent applies each call whole.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Scode } from '../../src/errors.js'
import { CDP, DEMO, callHttp, volume, type Answer } from '../helpers/app.js'
import { spawnApiServer } from '../helpers/api-server.js'
import { startAgent, tempDir } from '../helpers/cdp-sim.js'
import { type Effect, isEnvelope, possibleFinals, seededRandom } from '../helpers/serial.js'

/** Volumes without a running VM (the demo's ken volume is used by one: reverts refused). */
const VOLUMES = [DEMO.vol1, DEMO.cdp1, DEMO.linVolume, DEMO.linData]
const ALL = [DEMO.kenVolume, ...VOLUMES]
const PRIORITIES = ['high', 'mid', 'low'] as const
const WORKERS_PER_API = 3
const CALLS_PER_WORKER = 30

t.test('two API processes on one agent: envelopes only, no 5xx, a serial final state, and both agree on it', async (t) => {
  const dir = tempDir(t, 'cdp-two-apis-')
  const agent = await startAgent(t, ['--db', join(dir, 'agent.db'), '--clock', 'manual', '--snapshot-interval', '60'])
  const routes = join(dir, 'agents.json')
  writeFileSync(routes, JSON.stringify({ routes: [{ cluster_uuid: DEMO.cluster, urls: [agent.url] }] }))
  const servers = [1, 2].map(() => spawnApiServer(t, { CDP_BACKEND: 'agent', CDP_AGENTS: routes }))
  const apis = await Promise.all(servers.map(async (server) => await server.address))
  t.ok(apis.every((api) => /^http:\/\/127\.0\.0\.1:\d+$/.test(api)), `both APIs listen (${servers.map((s) => s.stderr()).join('')})`)
  const [first = ''] = apis

  // CDP on for every volume with some history, and the point each volume's views and reverts name.
  await callHttp(first, 'POST', `${CDP}/edit`, { cdp_priority: 'mid', reserve_capacity: 1073741824, reserve_duration: 864000, volumes: ALL.map((v) => volume(v)) })
  await callHttp(first, 'POST', `${CDP}/enable`, { volumes: ALL.map((v) => volume(v)) })
  for (const v of VOLUMES) await agent.post(`/sim/v1/volumes/${v}/writes`, { writes: [{ offset: 0, length: 4096, fill: 1 }] })
  await agent.post('/sim/v1/clock/advance', { seconds: 5 })
  const points = new Map<string, { snapshot_name: string, timestamp: bigint | number }>()
  for (const v of VOLUMES) {
    const snap = (await callHttp(first, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${v}`)).body.data.cdp_info[0].snaps[0]
    points.set(v, { snapshot_name: snap.name, timestamp: snap.time })
  }

  const effects: Effect[] = []
  const answers: Array<{ what: string, answer: Answer }> = []
  let edits = 0
  async function worker (api: string, seed: number): Promise<void> {
    const { pick } = seededRandom(seed)
    for (let i = 0; i < CALLS_PER_WORKER; i++) {
      const v = pick(VOLUMES)
      const start = performance.now()
      const kind = pick(['edit', 'edit', 'enable', 'disable', 'view on', 'view off', 'revert', 'write', 'tick'] as const)
      let answer: Answer
      let changes: Array<{ volume: string, register: string, value: string }> = []
      if (kind === 'edit') {
        // Each edit's policy is its own: reserve_duration tells which edit a volume shows.
        const policy = { cdp_priority: pick(PRIORITIES), reserve_capacity: 1073741824, reserve_duration: 864000 + ++edits }
        const targets = [v, pick(ALL)]
        answer = await callHttp(api, 'POST', `${CDP}/edit`, { ...policy, volumes: targets.map((u) => volume(u)) })
        changes = targets.map((u) => ({ volume: u, register: 'policy', value: `${policy.cdp_priority}/${policy.reserve_duration}` }))
      } else if (kind === 'enable' || kind === 'disable') {
        const targets = [v, pick(ALL)]
        answer = await callHttp(api, 'POST', `${CDP}/${kind}`, { volumes: targets.map((u) => volume(u)) })
        changes = targets.map((u) => ({ volume: u, register: 'state', value: kind === 'enable' ? 'on' : 'off' }))
      } else if (kind === 'view on' || kind === 'view off') {
        const op = kind === 'view on' ? 'on' : 'off'
        answer = await callHttp(api, 'POST', `${CDP}/view`, { ...volume(v), op, ...(op === 'on' ? points.get(v) : {}) })
        changes = [{ volume: v, register: 'view', value: op }]
      } else if (kind === 'revert') {
        answer = await callHttp(api, 'POST', `${CDP}/revert`, { ...volume(v), ...points.get(v) })
      } else if (kind === 'write') {
        answer = await agent.post(`/sim/v1/volumes/${v}/writes`, { writes: [{ offset: 4096 * (i % 8), length: 4096, fill: i % 250 + 2 }] })
      } else {
        answer = await agent.post('/sim/v1/clock/advance', { seconds: 1 })
      }
      const end = performance.now()
      answers.push({ what: `${api} ${kind} ${v}`, answer })
      // A batch reports each volume on its own; a single call's envelope is its only result.
      const results: Array<{ scode: number }> = answer.body?.data?.results ?? [answer.body]
      changes.forEach((change, k) => {
        if (results[k]?.scode === 0) effects.push({ register: `${change.volume} ${change.register}`, value: change.value, start, end })
      })
    }
  }
  await Promise.all(apis.flatMap((api, a) => Array.from({ length: WORKERS_PER_API }, async (_, w) => await worker(api, 1000 * a + w + 1))))

  t.same(answers.filter(({ answer }) => answer.status >= 500).map(({ what, answer }) => `${what}: ${answer.status} ${answer.body?.desc}`), [], 'no 5xx')
  t.same(answers.filter(({ answer }) => !isEnvelope(answer.body) ||
    (answer.body.data?.results ?? []).some((r: unknown) => !isEnvelope(r))).map(({ what }) => what), [], 'every answer and batch result is an envelope')
  const refused = new Set(answers.flatMap(({ answer }) => answer.body.scode === 0 ? [] : [answer.body.scode as number]))
  t.ok([...refused].every((s) => s < Scode.INTERNAL.scode), `refusals are the volume's state, never an agent fault (${[...refused].join(', ')})`)
  t.ok(effects.length > 50, `${effects.length} acknowledged changes`)
  const succeeded = (kind: string) => answers.filter(({ what, answer }) => what.includes(` ${kind} `) && answer.body.scode === 0).length
  t.ok(['revert', 'view on', 'view off', 'write'].every((kind) => succeeded(kind) > 0),
    `every kind of call succeeded at times (reverts ${succeeded('revert')}, views on ${succeeded('view on')}, off ${succeeded('view off')})`)

  const lists = await Promise.all(apis.map(async (api) => await callHttp(api, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_size=0`)))
  t.same(lists[1], lists[0], 'both APIs list the same final state')
  const infos = await Promise.all(apis.map(async (api) => await Promise.all(ALL.map(async (v) =>
    await callHttp(api, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${v}`)))))
  t.same(infos[1], infos[0], 'both APIs report the same info for every volume')

  const items = lists[0]?.body.data.List as Array<{ volume_uuid: string, cdp_priority: string, reserve_duration: number, cdp_state: string }>
  const finals = new Map<string, string>()
  for (const item of items) {
    finals.set(`${item.volume_uuid} policy`, `${item.cdp_priority}/${item.reserve_duration}`)
    finals.set(`${item.volume_uuid} state`, item.cdp_state)
  }
  ALL.forEach((v, i) => finals.set(`${v} view`, infos[0]?.[i]?.body.data.host_uuid === '' ? 'off' : 'on'))
  const registers = new Set(effects.map((e) => e.register))
  const unexplained = [...registers].filter((register) => !possibleFinals(effects.filter((e) => e.register === register)).has(finals.get(register) ?? ''))
    .map((register) => `${register}: ends ${finals.get(register)}, possible ${[...possibleFinals(effects.filter((e) => e.register === register))].join('|')}`)
  t.same(unexplained, [], `each of ${registers.size} registers ends as a serial order of the acknowledged changes leaves it`)

  for (const v of VOLUMES) {
    if (finals.get(`${v} view`) !== 'on') continue
    const view = await agent.get(`/sim/v1/volumes/${v}/view/image`)
    const image = await agent.get(`/sim/v1/volumes/${v}/image?at=${points.get(v)?.timestamp}`)
    t.equal(view.body.data.digest, image.body.data.digest, `${v}: the view shows its point's image`)
  }
})
