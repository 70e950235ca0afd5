// Crash consistency: a `cdp-sim agent` on a database file, a workload running against it
// (writes through /sim/v1 from one worker per volume, with reverts and views on and off;
// batch edits, enables and disables; manual clock advances), SIGKILLed at a random moment,
// again and again. After each kill the file passes PRAGMA integrity_check and the journal's
// invariants (DESIGN §4); after each restart on it every acknowledged write is there (the
// live image and the image at every acknowledged time still recoverable match a naive
// replay), a call whose answer never came is either wholly there or not at all, and no
// batch is half applied.
//
// Kills: CDP_CRASH_KILLS (3 here, 24 in `npm run soak`); choices: CDP_CRASH_SEED (printed).
// The workload's choices replay from the seed; the kill lands where the timer finds it.
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { DEMO, type Answer } from '../helpers/app.js'
import { type Agent, startAgent, tempDir } from '../helpers/cdp-sim.js'
import { isEnvelope, type Random, seededRandom } from '../helpers/serial.js'
import { type BlockChange, digestOf, fillToken, ReferenceVolume } from '../helpers/reference-volume.js'

const KILLS = Number(process.env.CDP_CRASH_KILLS ?? '3')
const SEED = Number(process.env.CDP_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
/** Bounds a cycle even if the kill never came. */
const MAX_ROUNDS = 10_000
const VOLUMES = [DEMO.kenVolume, DEMO.vol1, DEMO.cdp1, DEMO.linVolume, DEMO.linData]
const BLOCKS = 16
const SNAPSHOT_INTERVAL_S = 2
const NS_PER_S = 1_000_000_000n
const PRIORITIES = ['high', 'mid', 'low'] as const
/** A journal of 16 or 256 blocks: segments roll and capacity retention folds. */
const CAPACITIES = [65536n, 1048576n]

const ref = (uuid: string) => ({ cluster_uuid: DEMO.cluster, volume_uuid: uuid })

/** What changed a volume's content, in the order its one worker made it. */
type ContentOp = { kind: 'write', time: bigint, changes: BlockChange[] } | { kind: 'revert', at: bigint, to: bigint }

/**
 * When the volume's newest revert landed, from its events (the revert answers no time). Not
 * the journal's newest io time: a revert that changes nothing, or one while CDP is off,
 * journals no row, and that time is an older change's.
 */
async function lastRevertTime (post: (path: string, body: unknown) => Promise<Answer>, volume: string): Promise<bigint> {
  const answer = await post('/agent/v1/events', { volume: { cluster_uuid: DEMO.cluster, volume_uuid: volume }, page_num: 0, page_size: 0 })
  const events = (answer.body.data?.events ?? []) as Array<{ kind: string, time: bigint | number }>
  const revert = events.filter((e) => e.kind === 'reverted').at(-1)
  if (revert === undefined) throw new Error(`volume ${volume} has no reverted event`)
  return BigInt(revert.time)
}

/** How many ns one round's changes may step the clock past its start (each change takes its own ns). */
const ROUND_NS = 256n
/** A revert's time not yet read back (the agent died first): read from the journal after the restart. */
const UNREAD = -1n

function unsure (own: VolumeLedger, time: bigint): boolean {
  return [...own.unsureRounds].some((d) => time >= d && time <= d + ROUND_NS)
}

interface VolumeLedger {
  content: ContentOp[]
  /** Times of acknowledged writes and reverts: their images are checked while recoverable. */
  times: Set<bigint>
  /**
   * Starts of rounds holding a change whose ns is not known: a disable (each change has a ns
   * of its own, so it lands a few ns after the round's start, among that round's changes) or
   * a write whose answer never came. Images in those windows are not checked.
   */
  unsureRounds: Set<bigint>
  policy: string
  state: 'on' | 'off'
  /** The time the view shows; null when there is none. */
  view: bigint | null
}

/** A mutating call sent whose answer never came (the agent died first). */
type Pending =
  | { kind: 'content', volume: string, op: ContentOp }
  | { kind: 'view', volume: string, time: bigint | null }
  | { kind: 'batch', register: 'policy' | 'state', volumes: string[], value: string }
  | { kind: 'advance', to: bigint }

interface Ledger {
  now: bigint
  edits: number
  volumes: Map<string, VolumeLedger>
  pending: Pending[]
  /** Calls answered by something other than an envelope, or a 5xx. */
  faults: string[]
}

function referenceOf (content: readonly ContentOp[]): ReferenceVolume {
  const reference = new ReferenceVolume()
  for (const op of content) {
    if (op.kind === 'write') reference.write(op.time, op.changes)
    else reference.revert(op.at, op.to)
  }
  return reference
}

const policyOf = (priority: string, capacity: bigint, duration: bigint): string => `${priority}/${capacity}/${duration}`

class AgentDied extends Error {}

/** One agent process's life: calls to it, and the ledger's record of what it acknowledged. */
function driver (agent: Agent, ledger: Ledger) {
  let dying = false
  const kill = async (): Promise<void> => {
    dying = true
    await agent.stop('SIGKILL')
  }
  const post = async (path: string, body: unknown): Promise<Answer> => await answered(agent.post(path, body), `POST ${path}`)
  const get = async (path: string): Promise<Answer> => await answered(agent.get(path), `GET ${path}`)
  async function answered (call: Promise<Answer>, what: string): Promise<Answer> {
    let answer: Answer
    try {
      answer = await call
    } catch (err) {
      if (!dying) ledger.faults.push(`${what}: ${String(err)}`)
      throw new AgentDied(what)
    }
    if (answer.status >= 500 || !isEnvelope(answer.body)) ledger.faults.push(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer
  }
  /** Runs a mutating call; if it never answers, `pending` is what it may have done. */
  async function mutate (pending: Pending, call: () => Promise<Answer>): Promise<Answer> {
    ledger.pending.push(pending)
    const answer = await call()
    ledger.pending.splice(ledger.pending.indexOf(pending), 1)
    return answer
  }

  /** A recoverable point before now (so no write of this round can fall in it) and the snapshot that bases it. */
  async function pointBeforeNow (volume: string, random: Random): Promise<{ snapshot_name: string, timestamp: bigint } | undefined> {
    const ranges = (await get(`/sim/v1/volumes/${volume}/recoverable`)).body.data?.ranges as Array<{ from: bigint | number, to: bigint | number, seq: bigint | number }> | undefined
    const range = ranges === undefined || ranges.length === 0 ? undefined : random.pick(ranges)
    if (range === undefined) return undefined
    const from = BigInt(range.from)
    const to = BigInt(range.to) < ledger.now ? BigInt(range.to) : ledger.now - 1n
    if (from > to) return undefined
    const at = from + BigInt(Math.floor(random.next() * Number(to - from + 1n)))
    const own = ledger.volumes.get(volume)
    if (own !== undefined && unsure(own, at)) return undefined
    const info = await post('/agent/v1/info', { volume: ref(volume) })
    const segment = (info.body.data?.cdp_info as Array<{ seq: bigint | number, snaps: Array<{ name: string, time: bigint | number }> }> | undefined)
      ?.find((s) => BigInt(s.seq) === BigInt(range.seq))
    const base = segment?.snaps.filter((s) => BigInt(s.time) <= at).at(-1)
    return base === undefined ? undefined : { snapshot_name: base.name, timestamp: at }
  }

  async function volumeWorker (volume: string, random: Random): Promise<void> {
    const own = ledger.volumes.get(volume) as VolumeLedger
    for (let n = random.int(1, 3); n > 0; n--) {
      const kind = random.pick(['write', 'write', 'write', 'write', 'revert', 'view'] as const)
      if (kind === 'write') {
        const first = random.int(0, BLOCKS - 2)
        const length = random.int(1, 2)
        const fill = random.int(1, 255)
        const changes = Array.from({ length }, (_, i) => ({ block: first + i, token: fillToken(fill) }))
        // Lands at the clock's now, or a few ns later if another change holds that ns; its answer says when.
        const op: ContentOp = { kind: 'write', time: ledger.now, changes }
        const answer = await mutate({ kind: 'content', volume, op }, async () =>
          await post(`/sim/v1/volumes/${volume}/writes`, { writes: [{ offset: first * 4096, length: length * 4096, fill }] }))
        const time = answer.body.scode === 0 ? BigInt(answer.body.data.time) : undefined
        if (time === undefined) ledger.faults.push(`write ${volume}: ${answer.body.desc}`)
        else if (time < ledger.now || time > ledger.now + ROUND_NS) ledger.faults.push(`write ${volume} answered time ${time}, the round began at ${ledger.now}`)
        else {
          op.time = time
          own.content.push(op)
          own.times.add(time)
        }
      } else if (kind === 'revert') {
        const point = await pointBeforeNow(volume, random)
        if (point === undefined) continue
        const op: ContentOp = { kind: 'revert', at: UNREAD, to: point.timestamp }
        const answer = await mutate({ kind: 'content', volume, op }, async () => await post('/agent/v1/revert', { volume: ref(volume), point }))
        if (answer.body.scode === 0) {
          own.content.push(op)
          // The revert answers no time: it is the journal's newest io, this worker being the volume's only writer.
          op.at = await lastRevertTime(post, volume)
          own.times.add(op.at)
        }
      } else if (own.view !== null) {
        const answer = await mutate({ kind: 'view', volume, time: null }, async () => await post('/agent/v1/view/off', { volume: ref(volume) }))
        if (answer.body.scode === 0) own.view = null
      } else {
        const point = await pointBeforeNow(volume, random)
        if (point === undefined) continue
        const answer = await mutate({ kind: 'view', volume, time: point.timestamp }, async () => await post('/agent/v1/view/on', { volume: ref(volume), point }))
        if (answer.body.scode === 0) own.view = point.timestamp
      }
    }
  }

  /** One batch over a random subset of the volumes: an edit with a policy of its own, an enable or a disable. */
  async function batchWorker (random: Random): Promise<void> {
    const chosen = VOLUMES.filter(() => random.next() < 0.6)
    const volumes = chosen.length === 0 ? [random.pick(VOLUMES)] : chosen
    const kind = random.pick(['edit', 'edit', 'enable', 'enable', 'disable'] as const)
    let pending: Pending
    let body: unknown
    if (kind === 'edit') {
      const k = ++ledger.edits
      const policy = { cdp_priority: PRIORITIES[k % 3] as string, reserve_capacity: CAPACITIES[k % 2] as bigint, reserve_duration: BigInt(40 + k) }
      pending = { kind: 'batch', register: 'policy', volumes, value: policyOf(policy.cdp_priority, policy.reserve_capacity, policy.reserve_duration) }
      body = { policy, volumes: volumes.map(ref) }
    } else {
      pending = { kind: 'batch', register: 'state', volumes, value: kind === 'enable' ? 'on' : 'off' }
      body = { volumes: volumes.map(ref) }
      if (kind === 'disable') for (const v of volumes) ledger.volumes.get(v)?.unsureRounds.add(ledger.now)
    }
    const answer = await mutate(pending, async () => await post(`/agent/v1/${kind}`, body))
    const results = (answer.body.data?.results ?? []) as Array<{ scode: number, desc: string }>
    if (results.length !== volumes.length || results.some((r) => r.scode !== 0)) {
      ledger.faults.push(`${kind} batch: ${JSON.stringify(results)}`)
      return
    }
    for (const v of volumes) {
      const own = ledger.volumes.get(v) as VolumeLedger
      if (pending.kind === 'batch' && pending.register === 'policy') own.policy = pending.value
      else own.state = kind === 'enable' ? 'on' : 'off'
    }
  }

  /** Rounds at the clock's now: every volume's worker and one batch at once, then the clock moves on. */
  async function runUntilKilled (random: Random): Promise<number> {
    let rounds = 0
    try {
      for (; rounds < MAX_ROUNDS; rounds++) {
        const seeds = VOLUMES.map(() => random.int(1, 2 ** 30))
        await Promise.all([
          ...VOLUMES.map(async (v, i) => await volumeWorker(v, seededRandom(seeds[i] as number))),
          batchWorker(random)
        ].map(async (work) => await work.catch((err: unknown) => { if (!(err instanceof AgentDied)) throw err })))
        if (dying) break
        // The round's changes may have stepped the clock a few ns past where it began.
        ledger.now = BigInt((await get('/sim/v1/clock')).body.data.now)
        const to = ledger.now + BigInt(random.int(1, 6)) * NS_PER_S
        const answer = await mutate({ kind: 'advance', to }, async () => await post('/sim/v1/clock/advance', { nanoseconds: to - ledger.now }))
        if (BigInt(answer.body.data.now) !== to) ledger.faults.push(`advance: clock at ${answer.body.data.now}, expected ${to}`)
        ledger.now = to
      }
    } catch (err) {
      if (!(err instanceof AgentDied)) throw err
    }
    return rounds
  }

  return { post, get, kill, runUntilKilled }
}

/** The file as the killed process left it: integrity, and the journal's invariants in its rows. */
function checkFile (t: Test, file: string, cycle: number): void {
  const db = new Database(file, { readonly: true })
  try {
    db.defaultSafeIntegers(true)
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok', `kill ${cycle}: integrity_check ok`)
    t.same(db.pragma('foreign_key_check'), [], `kill ${cycle}: no dangling references`)
    const now = db.prepare("SELECT value FROM meta WHERE key = 'manual_clock'").pluck().get() as bigint
    const broken = db.prepare(`
      SELECT 'journal use ' || u.use || ' over reserve_capacity ' || c.reserve_capacity FROM cdp c
        JOIN (SELECT volume_id, sum(use) AS use FROM segment GROUP BY volume_id) u ON u.volume_id = c.volume_id
        -- an active view pins its point: capacity waits until it goes off (retention.ts)
        WHERE u.use > c.reserve_capacity AND NOT EXISTS (SELECT 1 FROM view w WHERE w.volume_id = c.volume_id)
      UNION ALL SELECT 'snapshot ' || s.name || ' at ' || s.time || ' older than now - reserve_duration' FROM snapshot s
        JOIN cdp c ON c.volume_id = s.volume_id WHERE s.time < @now - c.reserve_duration * 1000000000
      UNION ALL SELECT 'snapshot ' || s.name || ' at ' || s.time || ' misnamed or in the future' FROM snapshot s
        WHERE s.name <> 'CDP-auto-' || (s.time / 1000000000) OR s.time > @now
      UNION ALL SELECT 'snapshot ' || s.name || ' in missing segment ' || s.seq FROM snapshot s
        WHERE NOT EXISTS (SELECT 1 FROM segment g WHERE g.volume_id = s.volume_id AND g.seq = s.seq)
      UNION ALL SELECT 'segment ' || g.seq || ' use ' || g.use || ' but ' || (SELECT count(*) FROM journal j WHERE j.volume_id = g.volume_id AND j.seq = g.seq) || ' journal rows'
        FROM segment g WHERE g.use <> 4096 * (SELECT count(*) FROM journal j WHERE j.volume_id = g.volume_id AND j.seq = g.seq)
      UNION ALL SELECT 'segment ' || g.seq || ' not below next_seq ' || c.next_seq FROM segment g JOIN cdp c ON c.volume_id = g.volume_id WHERE g.seq >= c.next_seq
      UNION ALL SELECT 'journal row ' || j.id || ' in missing segment or future' FROM journal j
        WHERE j.time > @now OR NOT EXISTS (SELECT 1 FROM segment g WHERE g.volume_id = j.volume_id AND g.seq = j.seq)
      UNION ALL SELECT 'volume ' || c.volume_id || ' state ' || c.state || ' with ' || count(g.seq) || ' active segments' FROM cdp c
        LEFT JOIN segment g ON g.volume_id = c.volume_id AND g.end_time IS NULL
        GROUP BY c.volume_id HAVING count(g.seq) <> (c.state = 'on')
      UNION ALL SELECT 'disk ' || d.id || ' reserved ' || d.reserved || ' but its CDPs reserve ' || coalesce(sum(c.reserve_capacity), 0) FROM cdp_disk d
        LEFT JOIN cdp c ON c.disk_id = d.id GROUP BY d.id HAVING d.reserved <> coalesce(sum(c.reserve_capacity), 0)
      UNION ALL SELECT 'cdp_count ' || n.n || ' for namespace ' || n.namespace_id FROM cdp_count n
        WHERE n.n <> (SELECT count(*) FROM cdp c JOIN volume v ON v.id = c.volume_id WHERE v.namespace_id = n.namespace_id AND v.tenant_id = n.tenant_id)
      UNION ALL SELECT 'view of volume ' || w.volume_id || ' without CDP' FROM view w WHERE NOT EXISTS (SELECT 1 FROM cdp c WHERE c.volume_id = w.volume_id)
    `).pluck().all({ now })
    t.same(broken, [], `kill ${cycle}: the journal's invariants hold in the file`)
  } finally {
    db.close()
  }
}

/** After a restart: settles what the pending calls did (each wholly or not at all) and checks every acknowledged effect. */
async function checkRestarted (t: Test, call: ReturnType<typeof driver>, ledger: Ledger, cycle: number): Promise<void> {
  const label = `restart ${cycle}`
  const pendingOf = <K extends Pending['kind']>(kind: K) => ledger.pending.filter((p): p is Extract<Pending, { kind: K }> => p.kind === kind)

  const clock = BigInt((await call.get('/sim/v1/clock')).body.data.now)
  const advance = pendingOf('advance')[0]
  t.ok((clock >= ledger.now && clock <= ledger.now + ROUND_NS) || clock === advance?.to, `${label}: the clock is where the last acknowledged advance left it (plus the round's 1 ns steps), or the unanswered one (${clock})`)
  ledger.now = clock

  const list = await call.post('/agent/v1/list', { cluster_uuid: DEMO.cluster, limit: 0 })
  const shown = new Map((list.body.data.items as Array<{ volume_uuid: string, cdp_priority: string, reserve_capacity: bigint | number, reserve_duration: bigint | number, cdp_state: string }>)
    .map((item) => [item.volume_uuid, { policy: policyOf(item.cdp_priority, BigInt(item.reserve_capacity), BigInt(item.reserve_duration)), state: item.cdp_state }]))
  for (const batch of pendingOf('batch')) {
    const changed = batch.volumes.filter((v) => ledger.volumes.get(v)?.[batch.register] !== batch.value)
    const applied = changed.filter((v) => shown.get(v)?.[batch.register] === batch.value)
    t.ok(applied.length === 0 || applied.length === changed.length, `${label}: the unanswered ${batch.register} batch over ${batch.volumes.length} volumes is applied to all or none (${applied.length} of ${changed.length})`)
    if (applied.length > 0) {
      for (const v of batch.volumes) {
        const own = ledger.volumes.get(v) as VolumeLedger
        if (batch.register === 'policy') own.policy = batch.value
        else own.state = batch.value as 'on' | 'off'
      }
    }
  }
  const policies = VOLUMES.filter((v) => shown.get(v)?.policy !== ledger.volumes.get(v)?.policy || shown.get(v)?.state !== ledger.volumes.get(v)?.state)
  t.same(policies, [], `${label}: every volume has its last acknowledged policy and state`)

  for (const volume of VOLUMES) {
    const own = ledger.volumes.get(volume) as VolumeLedger
    const live = (await call.get(`/sim/v1/volumes/${volume}/image`)).body.data.digest as string
    const unanswered = pendingOf('content').find((p) => p.volume === volume)
    // Without the unanswered call first: one that changed nothing is taken as not made (the
    // images are the same either way, and its time could not be told).
    const candidates = unanswered === undefined ? [own.content] : [own.content, [...own.content, unanswered.op]]
    const content = candidates.find((c) => digestOf(referenceOf(c).current()) === live)
    t.ok(content !== undefined, `${label}: ${volume}'s live image is its acknowledged writes${unanswered === undefined ? '' : ' (with or without the unanswered one)'}`)
    if (content === undefined) continue
    if (content.length > own.content.length && unanswered !== undefined) {
      own.content = content
      // A revert's time is in the events; an unanswered write's is not known: it stays at its
      // round's start, and that round's images are not checked.
      if (unanswered.op.kind === 'revert') unanswered.op.at = await lastRevertTime(call.post, volume)
      else own.unsureRounds.add(unanswered.op.time)
    }
    for (const op of own.content) {
      if (op.kind === 'revert' && op.at === UNREAD) {
        op.at = await lastRevertTime(call.post, volume)
        own.times.add(op.at)
      }
    }
    const reference = referenceOf(own.content)
    const ranges = (await call.get(`/sim/v1/volumes/${volume}/recoverable`)).body.data?.ranges as Array<{ from: bigint | number, to: bigint | number }> | undefined ?? []
    const cut = ledger.now - BigInt(own.policy.split('/')[2] as string) * NS_PER_S
    t.ok(ranges.every((r) => BigInt(r.from) >= cut && BigInt(r.from) <= BigInt(r.to)), `${label}: ${volume}'s recoverable ranges start within reserve_duration`)
    const times = [...own.times].filter((time) => !unsure(own, time) && ranges.some((r) => BigInt(r.from) <= time && time <= BigInt(r.to)))
    const wrong: string[] = []
    for (const time of times) {
      const image = await call.get(`/sim/v1/volumes/${volume}/image?at=${time}`)
      if (image.body.data?.digest !== digestOf(reference.imageAt(time))) wrong.push(`${time}: ${String(image.body.data?.digest ?? image.body.desc)}`)
    }
    t.same(wrong, [], `${label}: ${volume}'s image at each of ${times.length} acknowledged times still recoverable matches the replay`)

    const view = await call.get(`/sim/v1/volumes/${volume}/view/image`)
    const viewTime = view.body.scode === 0 ? BigInt(view.body.data.time) : null
    const unansweredView = pendingOf('view').find((p) => p.volume === volume)
    t.ok(viewTime === own.view || (unansweredView !== undefined && viewTime === unansweredView.time), `${label}: ${volume}'s view is the last acknowledged one or the unanswered one`)
    own.view = viewTime
    if (viewTime !== null) {
      const shown = view.body.data.digest === digestOf(reference.imageAt(viewTime))
      t.ok(shown, `${label}: ${volume}'s view shows its point's image`)
    }
  }
  ledger.pending = []
}

t.test(`crash consistency: ${KILLS} SIGKILLs mid-workload (seed ${SEED}, replay with CDP_CRASH_SEED=${SEED})`, async (t) => {
  const random = seededRandom(SEED)
  const file = join(tempDir(t, 'cdp-crash-'), 'agent.db')
  const args = ['--db', file, '--clock', 'manual', '--snapshot-interval', String(SNAPSHOT_INTERVAL_S)]
  const ledger: Ledger = { now: 0n, edits: 0, volumes: new Map(), pending: [], faults: [] }
  let agent = await startAgent(t, args)
  let call = driver(agent, ledger)
  ledger.now = BigInt((await call.get('/sim/v1/clock')).body.data.now)
  const initial = policyOf('mid', CAPACITIES[1] as bigint, 40n)
  const edit = await call.post('/agent/v1/edit', { policy: { cdp_priority: 'mid', reserve_capacity: CAPACITIES[1], reserve_duration: 40 }, volumes: VOLUMES.map(ref) })
  const enable = await call.post('/agent/v1/enable', { volumes: VOLUMES.map(ref) })
  t.same([edit, enable].flatMap((a) => a.body.data.results.map((r: { scode: number }) => r.scode)), Array(2 * VOLUMES.length).fill(0), 'CDP on for every volume')
  for (const v of VOLUMES) ledger.volumes.set(v, { content: [], times: new Set(), unsureRounds: new Set(), policy: initial, state: 'on', view: null })

  const rounds: number[] = []
  for (let cycle = 1; cycle <= KILLS; cycle++) {
    const killed = new Promise<void>((resolve) => {
      setTimeout(() => { call.kill().then(resolve, resolve) }, random.int(100, 700))
    })
    rounds.push(await call.runUntilKilled(random))
    await killed
    checkFile(t, file, cycle)
    agent = await startAgent(t, args)
    call = driver(agent, ledger)
    await checkRestarted(t, call, ledger, cycle)
  }
  t.same(ledger.faults, [], 'no call answered a 5xx, a non-envelope or an unexpected refusal')
  const writes = [...ledger.volumes.values()].reduce((n, v) => n + v.content.length, 0)
  t.ok(writes > KILLS * 5, `${writes} acknowledged writes and reverts over ${rounds.join('+')} rounds`)
  t.equal(await agent.stop('SIGTERM'), 0, 'the last agent stops cleanly')
  checkFile(t, file, KILLS + 1)
})
