// Concurrency through HTTP: many clients at once mixing every operation (edit, enable,
// disable, list, info, clean, view on/off, revert, writes and clock advances through
// /sim/v1) on an overlapping set of volumes, against one server and against two server
// processes on one database file. No answer is a 5xx or mentions SQLite, busy or an
// internal error; every answer is an envelope; and the final state is one a serial order of
// the acknowledged calls gives: each volume's policy, CDP state and view, each block's
// content (every client writes its own block of each volume; a revert sets all of them to
// the first point's content), and the clock.
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { Client } from 'undici'
import { CDP, DEMO, callHttp, openTestApp, parseLossless, stringifyLossless, volume, type Answer } from '../helpers/app.js'
import { spawnApiServer } from '../helpers/api-server.js'
import { tempDir } from '../helpers/cdp-sim.js'
import { type Effect, isEnvelope, possibleFinals, seededRandom } from '../helpers/serial.js'
import { digestOf, fillToken, type Image } from '../helpers/reference-volume.js'

const SEED = Number(process.env.CDP_CONCURRENCY_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** Volumes without a running VM, and the demo's ken volume (its reverts are refused: VOLUME_IN_USE). */
const VOLUMES = [DEMO.vol1, DEMO.cdp1, DEMO.linVolume, DEMO.linData]
const ALL = [DEMO.kenVolume, ...VOLUMES]
const PRIORITIES = ['high', 'mid', 'low'] as const
const LIST_FILTERS = ['', 'vol', 'LIN', 'cdp-1', '%', 'ff3ac375']
const FAULT_TEXT = /sqlite|busy|internal error|locked/i
/** Every ambiguous block doubles the images to compare; past this the check could not decide. */
const MAX_CANDIDATES = 1 << 16

interface Run {
  answers: Array<{ what: string, status: number, text: string, body: any }>
  effects: Effect[]
  advances: number
}

/** Every volume under CDP with blocks 0..clients-1 written (fill 1), then the clock moved on: the point reverts and views name. */
async function setUp (base: string, clients: number): Promise<{ point: { snapshot_name: string, timestamp: bigint }, start: bigint }> {
  const volumes = ALL.map((v) => volume(v))
  await callHttp(base, 'POST', `${CDP}/edit`, { cdp_priority: 'mid', reserve_capacity: 1073741824, reserve_duration: 864000, volumes })
  await callHttp(base, 'POST', `${CDP}/enable`, { volumes })
  // Each write lands 1 ns after its volume's enable (one ns per change): the point is the latest of them.
  let written = 0n
  for (const v of ALL) {
    const answer = await callHttp(base, 'POST', `/sim/v1/volumes/${v}/writes`, { writes: [{ offset: 0, length: 4096 * clients, fill: 1 }] })
    if (BigInt(answer.body.data.time) > written) written = BigInt(answer.body.data.time)
  }
  const snap = (await callHttp(base, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${DEMO.vol1}`)).body.data.cdp_info[0].snaps[0]
  const start = BigInt((await callHttp(base, 'POST', '/sim/v1/clock/advance', { seconds: 5 })).body.data.now)
  return { point: { snapshot_name: snap.name, timestamp: written }, start }
}

/** `clients` clients, each on its own connection to one of `bases` in turn, each making `calls` calls. */
async function drive (bases: string[], clients: number, calls: number, point: { snapshot_name: string, timestamp: bigint }): Promise<Run> {
  const run: Run = { answers: [], effects: [], advances: 0 }
  let edits = 0
  // A snapshot name is per volume: the first point of each is at the same second.
  const pointOf = (v: string) => ({ ...volume(v), snapshot_name: point.snapshot_name, timestamp: point.timestamp })
  async function client (c: number): Promise<void> {
    const random = seededRandom(SEED + c)
    const http = new Client(bases[c % bases.length] as string)
    const send = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> => {
      const res = await http.request({ method, path, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: stringifyLossless(body) }) })
      const text = await res.body.text()
      let parsed: unknown
      try { parsed = parseLossless(text) } catch { parsed = undefined }
      run.answers.push({ what: `client ${c} ${method} ${path}`, status: res.statusCode, text, body: parsed })
      return { status: res.statusCode, body: parsed }
    }
    try {
      for (let i = 0; i < calls; i++) {
        const v = random.pick(ALL)
        const other = random.pick(ALL)
        const kind = random.pick(['edit', 'enable', 'disable', 'list', 'info', 'clean', 'view on', 'view off', 'revert', 'revert', 'write', 'write', 'write', 'tick'] as const)
        const start = performance.now()
        let answer: Answer
        let changes: Array<{ register: string, value: string }> = []
        if (kind === 'edit') {
          const policy = { cdp_priority: random.pick(PRIORITIES), reserve_capacity: 1073741824, reserve_duration: 864000 + ++edits }
          answer = await send('POST', `${CDP}/edit`, { ...policy, volumes: [volume(v), volume(other)] })
          changes = [v, other].map((u) => ({ register: `${u} policy`, value: `${policy.cdp_priority}/${policy.reserve_duration}` }))
        } else if (kind === 'enable' || kind === 'disable') {
          answer = await send('POST', `${CDP}/${kind}`, { volumes: [volume(v), volume(other)] })
          changes = [v, other].map((u) => ({ register: `${u} state`, value: kind === 'enable' ? 'on' : 'off' }))
        } else if (kind === 'list') {
          const filter = random.pick(LIST_FILTERS)
          answer = await send('GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_size=${random.int(0, 3)}&filter_name=${encodeURIComponent(filter)}`)
        } else if (kind === 'info') {
          answer = await send('GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${v}`)
        } else if (kind === 'clean') {
          // Segments after the first: the point every revert names stays.
          answer = await send('POST', `${CDP}/clean`, { ...volume(v), usd_seq: random.int(1, 3) })
        } else if (kind === 'view on' || kind === 'view off') {
          answer = await send('POST', `${CDP}/view`, kind === 'view on' ? { ...pointOf(v), op: 'on' } : { ...volume(v), op: 'off' })
          changes = [{ register: `${v} view`, value: kind === 'view on' ? 'on' : 'off' }]
        } else if (kind === 'revert') {
          answer = await send('POST', `${CDP}/revert`, pointOf(v))
          changes = Array.from({ length: clients }, (_, b) => ({ register: `${v} block ${b}`, value: '1' }))
        } else if (kind === 'write') {
          const fill = random.int(2, 255)
          answer = await send('POST', `/sim/v1/volumes/${v}/writes`, { writes: [{ offset: 4096 * c, length: 4096, fill }] })
          changes = [{ register: `${v} block ${c}`, value: String(fill) }]
        } else {
          answer = await send('POST', '/sim/v1/clock/advance', { seconds: 1 })
          if (answer.body?.scode === 0) run.advances++
        }
        const end = performance.now()
        // A batch reports each volume on its own; a single call's envelope is its only result.
        const results: Array<{ scode: number }> = answer.body?.data?.results ?? changes.map(() => answer.body)
        changes.forEach((change, k) => {
          if (results[k]?.scode === 0) run.effects.push({ ...change, start, end })
        })
      }
    } finally {
      await http.close()
    }
  }
  await Promise.all(Array.from({ length: clients }, async (_, c) => { await client(c) }))
  return run
}

/** The final state as one server reports it: what `check` compares with the possible finals. */
async function finalState (base: string): Promise<{ registers: Map<string, string>, digests: Map<string, string>, views: Map<string, string>, now: bigint, raw: unknown[] }> {
  const list = await callHttp(base, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&page_size=0`)
  const registers = new Map<string, string>()
  for (const item of list.body.data.List as Array<{ volume_uuid: string, cdp_priority: string, reserve_duration: number, cdp_state: string }>) {
    registers.set(`${item.volume_uuid} policy`, `${item.cdp_priority}/${item.reserve_duration}`)
    registers.set(`${item.volume_uuid} state`, item.cdp_state)
  }
  const digests = new Map<string, string>()
  const views = new Map<string, string>()
  const infos: unknown[] = []
  for (const v of ALL) {
    const info = await callHttp(base, 'GET', `${CDP}/info?cluster_uuid=${DEMO.cluster}&volume_uuid=${v}`)
    infos.push(info.body)
    registers.set(`${v} view`, info.body.data.host_uuid === '' ? 'off' : 'on')
    digests.set(v, (await callHttp(base, 'GET', `/sim/v1/volumes/${v}/image`)).body.data.digest)
    const view = await callHttp(base, 'GET', `/sim/v1/volumes/${v}/view/image`)
    if (view.body.scode === 0) views.set(v, view.body.data.digest)
  }
  const now = BigInt((await callHttp(base, 'GET', '/sim/v1/clock')).body.data.now)
  return { registers, digests, views, now, raw: [list.body, infos] }
}

/** The images a volume can end with: each block its owner's last write or the first point's content, as the effects allow. */
function possibleDigests (v: string, clients: number, effects: readonly Effect[]): Set<string> | undefined {
  const choices = Array.from({ length: clients }, (_, b) => {
    const register = `${v} block ${b}`
    const mine = effects.filter((e) => e.register === register)
    return mine.length === 0 ? ['1'] : [...possibleFinals(mine)]
  })
  if (choices.reduce((n, c) => n * c.length, 1) > MAX_CANDIDATES) return undefined
  let images: Image[] = [new Map()]
  choices.forEach((values, b) => {
    images = images.flatMap((image) => values.map((value) => new Map(image).set(b, fillToken(Number(value)))))
  })
  return new Set(images.map(digestOf))
}

function check (t: Test, run: Run, clients: number, start: bigint, state: Awaited<ReturnType<typeof finalState>>): void {
  t.same(run.answers.filter((a) => a.status >= 500).map((a) => `${a.what}: ${a.status} ${a.text}`), [], `no 5xx in ${run.answers.length} answers`)
  t.same(run.answers.filter((a) => FAULT_TEXT.test(a.text)).map((a) => `${a.what}: ${a.text}`), [], 'no answer mentions SQLite, busy, locked or an internal error')
  t.same(run.answers.filter((a) => !isEnvelope(a.body) || (a.body.data?.results ?? []).some((r: unknown) => !isEnvelope(r))).map((a) => a.what), [],
    'every answer and batch result is an envelope')
  const kinds = ['edit', 'enable', 'disable', 'list', 'info', 'clean', 'view', 'revert', 'writes', 'advance']
  const succeeded = kinds.map((kind) => [kind, run.answers.filter((a) => a.what.includes(`/${kind}`) && a.body?.scode === 0).length] as const)
  t.ok(succeeded.every(([kind, n]) => n > 0 || kind === 'clean'), `every kind of call succeeded at times (${succeeded.map(([k, n]) => `${k} ${n}`).join(', ')})`)

  const registers = new Set(run.effects.map((e) => e.register).filter((r) => !r.includes(' block ')))
  const unexplained = [...registers].flatMap((register) => {
    const finals = possibleFinals(run.effects.filter((e) => e.register === register))
    return finals.has(state.registers.get(register) ?? '') ? [] : [`${register}: ends ${state.registers.get(register)}, possible ${[...finals].join('|')}`]
  })
  t.same(unexplained, [], `each of ${registers.size} policy, state and view registers ends as a serial order of the acknowledged calls leaves it`)
  for (const v of ALL) {
    const possible = possibleDigests(v, clients, run.effects)
    t.ok(possible !== undefined && possible.has(state.digests.get(v) ?? ''), `${v}: the live image is one a serial order of the acknowledged writes and reverts gives (candidate images: ${possible?.size ?? 'too many'})`)
  }
  const pointImage = digestOf(new Map(Array.from({ length: clients }, (_, b) => [b, fillToken(1)])))
  t.ok([...state.views.values()].every((digest) => digest === pointImage), `every view on shows the first point's image (${state.views.size} on)`)
  // Beyond the advances, the clock steps 1 ns for each change that would have shared a ns.
  const advanced = start + BigInt(run.advances) * 1_000_000_000n
  const changes = BigInt(run.answers.filter((a) => a.body?.scode === 0).length)
  t.ok(state.now >= advanced && state.now <= advanced + changes, `the clock moved by the ${run.advances} acknowledged advances, plus at most 1 ns per acknowledged change`)
}

t.test(`50 concurrent clients on one server mixing every operation (seed ${SEED}): no 5xx, envelopes, a serial final state`, async (t) => {
  const clients = 50
  const { app } = await openTestApp(t, { snapshotIntervalSeconds: 2 })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const { point, start } = await setUp(base, clients)
  const run = await drive([base], clients, 20, point)
  check(t, run, clients, start, await finalState(base))
})

t.test(`two API processes on one database file (seed ${SEED}): no SQLITE_BUSY reaches a client, both report one serial final state`, async (t) => {
  const clients = 20
  const file = join(tempDir(t, 'cdp-two-processes-'), 'sim.db')
  const servers = [1, 2].map(() => spawnApiServer(t, { CDP_SIM_DB: file, CDP_SIM_CLOCK: 'manual', CDP_SIM_SNAPSHOT_INTERVAL: '2' }))
  const bases = await Promise.all(servers.map(async (server) => await server.address))
  t.ok(bases.every((b) => /^http:\/\/127\.0\.0\.1:\d+$/.test(b)), `both servers listen (${servers.map((s) => s.stderr()).join('')})`)
  const { point, start } = await setUp(bases[0] as string, clients)
  const run = await drive(bases, clients, 25, point)
  const states = await Promise.all(bases.map(async (b) => await finalState(b)))
  t.same(states[1]?.raw, states[0]?.raw, 'both servers list the same volumes and report the same info')
  t.same([...states[1]?.digests ?? []], [...states[0]?.digests ?? []], 'both servers see the same live images')
  check(t, run, clients, start, states[0] as Awaited<ReturnType<typeof finalState>>)
})
