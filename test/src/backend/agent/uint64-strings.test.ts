// The negotiated `uint64-strings` form: asked for only from an agent whose health listed
// it, read as each answer's media type says, exact either way, and every lie in that form
// (a uint64 as a JSON number, a number beyond 2^53, a duplicate or forbidden key) refused
// as AGENT_BAD_RESPONSE. Against fake agents and the simulator's agent server.
import t from 'tap'
import { UINT64_STRINGS_MEDIA } from '../../../../src/backend/agent/protocol.js'
import { buildAgentServer } from '../../../../simulator/agent-server.js'
import { openDemo, ref, writeBlock } from '../../../helpers/simulator.js'
import { DEMO } from '../../../helpers/demo.js'
import { HEALTH_WITH_STRINGS, INFO, agentBackend, failure, listItem, ok, okStrings, startAgent, wholeCluster, type Reply, type Seen, type Written } from '../../../helpers/fake-agent.js'

const VOLUME = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }
const SEGMENT = INFO.cdp_info[0] as typeof INFO.cdp_info[number]
const ENVELOPE = '"scode":0,"desc":"","message":"success","message_cn":"成功","stack":null'

/** An agent listing uint64-strings that answers `info` with `answer` (its strings form by default). */
function listing (answer: (seen: Seen) => Reply = () => okStrings(INFO)) {
  return (seen: Seen): Reply => seen.op === '/health' ? HEALTH_WITH_STRINGS : answer(seen)
}

/** A strings-form answer written as raw text, for what a serialiser would never write. */
function stringsText (data: string): Written {
  return { status: 200, body: `{${ENVELOPE},"data":${data}}`, headers: { 'content-type': UINT64_STRINGS_MEDIA } }
}

t.test('an agent that lists uint64-strings is asked for them once it has said so; its answers decode exactly', async (t) => {
  const agent = await startAgent(t, listing())
  const b = agentBackend(t, wholeCluster(agent.url))
  await b.ready()
  t.strictSame(await b.info(VOLUME), INFO)
  t.equal(agent.seen[0]?.headers.accept, UINT64_STRINGS_MEDIA)
})

t.test('a plain v1 agent is never asked for strings, and its JSON integers decode exactly', async (t) => {
  const agent = await startAgent(t, ({ op }) => op === '/health' ? ok({ protocol: 1 }) : ok(INFO))
  const b = agentBackend(t, wholeCluster(agent.url))
  await b.ready()
  t.strictSame(await b.info(VOLUME), INFO)
  t.strictSame(await b.info(VOLUME), INFO)
  t.strictSame(agent.seen.map((seen) => seen.headers.accept), [undefined, undefined])
})

t.test('without a readiness check, the client asks health once after an agent\'s first answer, and then asks for strings', async (t) => {
  const agent = await startAgent(t, listing(({ headers }) => headers.accept === undefined ? ok(INFO) : okStrings(INFO)))
  const b = agentBackend(t, wholeCluster(agent.url))
  t.strictSame(await b.info(VOLUME), INFO, 'the first call is plain v1')
  t.equal(agent.seen[0]?.headers.accept, undefined)
  // The health call runs beside the caller's; wait for it by the calls it changes.
  for (let calls = 1; calls < 100 && agent.seen[agent.seen.length - 1]?.headers.accept === undefined; calls++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    t.strictSame(await b.info(VOLUME), INFO)
  }
  t.equal(agent.seen[agent.seen.length - 1]?.headers.accept, UINT64_STRINGS_MEDIA)
  t.equal(agent.count('/health'), 1, 'asked once')
})

t.test('an answer is read as its media type says: JSON integers from an agent that listed strings still decode exactly', async (t) => {
  const agent = await startAgent(t, listing(() => ok(INFO)))
  const b = agentBackend(t, wholeCluster(agent.url))
  await b.ready()
  t.strictSame(await b.info(VOLUME), INFO)
  t.equal(agent.seen[0]?.headers.accept, UINT64_STRINGS_MEDIA, 'asked for strings, answered in plain v1')
})

t.test('a string holding an escaped quote before a colon is no duplicate key', async (t) => {
  const info = { ...INFO, cdp_info: [{ ...SEGMENT, usd_path: 'a":b', usd_maddr: '":' }] }
  const agent = await startAgent(t, listing(() => okStrings(info)))
  const b = agentBackend(t, wholeCluster(agent.url))
  await b.ready()
  t.strictSame(await b.info(VOLUME), info)
})

const lies: Array<[string, Written]> = [
  ['a uint64 written as a JSON number', okStrings({ ...INFO, cdp_info: [{ ...SEGMENT, seq: 5 }] })],
  ['a uint64 above 2^64-1', okStrings({ ...INFO, cdp_info: [{ ...SEGMENT, use: '18446744073709551616' }] })],
  ...['-1', '0x10', ' 1', '', '1e3', '1.0'].map((text): [string, Written] =>
    [`a uint64 string ${JSON.stringify(text)}`, okStrings({ ...INFO, cdp_info: [{ ...SEGMENT, capacity: text }] })]),
  ['a duplicate key', stringsText('{"cdp_info":[],"host_uuid":"","host_uuid":"elsewhere"}')],
  ['a __proto__ key', stringsText('{"cdp_info":[],"host_uuid":"","__proto__":{"polluted":true}}')],
  ['a __proto__ key written with an escape', stringsText('{"cdp_info":[],"host_uuid":"","\\u005f_proto__":{"polluted":true}}')]
]
for (const [what, reply] of lies) {
  t.test(`in the strings form, ${what} is AGENT_BAD_RESPONSE, not retried`, async (t) => {
    const agent = await startAgent(t, listing(() => reply))
    const b = agentBackend(t, wholeCluster(agent.url))
    await b.ready()
    const err = await failure(b.info(VOLUME))
    t.equal(err.code, 'AGENT_BAD_RESPONSE')
    t.match(err.desc, agent.url)
    t.equal(agent.count('/info'), 1)
    t.equal(({} as Record<string, unknown>).polluted, undefined)
  })
}

t.test('in the strings form, a count beyond 2^53 (which JSON.parse would round) fails its range', async (t) => {
  const item = listItem('vol-a', '11111111-0000-4000-8000-000000000001')
  const answer = (count: string) => stringsText(`{"cluster":{"uuid":"${DEMO.cluster}","name":"c","mode":""},"ranges":[{"namespace_uuid":"","total_count":${count}}],"items":[${JSON.stringify({ ...item, reserve_duration: '86400', reserve_capacity: '18446744073709551615' })}]}`)
  const query = { cluster_uuid: DEMO.cluster, page_num: 0, page_size: 10 }
  for (const [count, fits] of [['9007199254740991', true], ['9007199254740993', false]] as const) {
    const agent = await startAgent(t, listing(() => answer(count)))
    const b = agentBackend(t, wholeCluster(agent.url))
    await b.ready()
    const page = await b.list(query)
    if (fits) t.strictSame(page.List, [item], `${count}: exact`)
    else t.match(page.each_range_list_state, [{ error: { code: 'AGENT_BAD_RESPONSE' } }], `${count}: refused`)
  }
})

t.test('the simulator\'s agent server: plain v1 before health is known, strings after, the same exact answer', async (t) => {
  // A clock above 2^53 ns that is not a whole second: any rounding shows in the times.
  const sim = openDemo(t, { clock: { mode: 'manual', start: 1630057893506590075n } })
  const volume = ref(DEMO.cdp1)
  await sim.enable([volume])
  writeBlock(sim, DEMO.cdp1, 0, 7)
  const expected = await sim.info(volume)
  const app = await buildAgentServer({ simulator: sim })
  const accepts: Array<string | undefined> = []
  app.addHook('onRequest', async (request) => { if (request.url.endsWith('/info')) accepts.push(request.headers.accept) })
  t.teardown(() => app.close())
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  const b = agentBackend(t, [{ cluster_uuid: DEMO.cluster, urls: [url] }])
  t.strictSame(await b.info(volume), expected, 'plain v1')
  await b.ready()
  t.strictSame(await b.info(volume), expected, 'uint64 strings')
  t.strictSame(accepts, [undefined, UINT64_STRINGS_MEDIA])
})
