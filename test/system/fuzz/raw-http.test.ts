// Raw malformed HTTP to a real server on 127.0.0.1 (node:net): bad request lines, huge and
// broken headers, wrong content-lengths, truncated and chunked bodies. Each connection is
// answered with a 2xx/4xx or closed, never a 5xx; the server keeps answering valid requests.
import fc from 'fast-check'
import t from 'tap'
import { CDP, DEMO, callHttp, openTestApp } from '../../helpers/app.js'
import { FUZZ_SEED } from '../../helpers/fuzz.js'
import { exchange } from '../../helpers/raw-http.js'

const CASES = 300
const VALID_EVERY = 25
const body = JSON.stringify({ volumes: [{ cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }] })

const requestLine = fc.oneof(
  { arbitrary: fc.constant(`POST ${CDP}/enable HTTP/1.1`), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      `POST ${CDP}/enable HTTP/9.9`, `POST ${CDP}/enable`, `POST ${CDP}/enable HTTP/1.1 extra`, `GET  ${CDP}/list HTTP/1.1`,
      `P\u0000ST ${CDP}/enable HTTP/1.1`, 'POST /\u00ff\u00fe HTTP/1.1', `POST ${CDP}/en able HTTP/1.1`, `GET http://cdp.example.invalid${CDP}/list HTTP/1.1`,
      `GET ${CDP}/list?cluster_uuid=%zz%00 HTTP/1.1`, `BREW ${CDP}/list HTTP/1.1`, 'GET * HTTP/1.1', `GET /${'a'.repeat(70_000)} HTTP/1.1`,
      '', 'HTTP/1.1', `POST ${CDP}/enable HTTP/1.0`, `get ${CDP}/list HTTP/1.1`
    ),
    weight: 3
  }
)

const headerLines = fc.array(fc.oneof(
  fc.constantFrom(
    'Content-Length: -1', 'Content-Length: abc', 'Content-Length: 99999999999999999999', 'Content-Length: 5', 'Content-Length: 100000',
    'Content-Length: 10\r\nContent-Length: 20', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Transfer-Encoding: bogus',
    `X-Big: ${'h'.repeat(20_000)}`, 'Bad Header: x', 'X-Nul: a\u0000b', ':authority: x', 'Content-Type: text/plain', 'Content-Type: application/json',
    'Expect: 100-continue', 'Connection: upgrade\r\nUpgrade: websocket', 'X-Fold: a\r\n  folded', 'Host:', 'Authorization: Bearer \u00ff'
  ),
  fc.integer({ min: 1, max: 300 }).map((n) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}`).join('\r\n'))
), { maxLength: 4 })

const bodyText = fc.oneof(
  fc.constant(body),
  fc.nat(body.length).map((n) => body.slice(0, n)),
  fc.constantFrom('', '0\r\n\r\n', 'zz\r\nabc\r\n0\r\n\r\n', '5\r\n{"vol\r\n', `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`, '\u00ff\u00fe')
)

const rawRequest = fc.record({
  line: requestLine,
  headers: headerLines,
  contentLength: fc.oneof(fc.constant('right'), fc.constant('none'), fc.integer({ min: 0, max: 2 * body.length })),
  body: bodyText,
  lineEnd: fc.oneof({ arbitrary: fc.constant('\r\n'), weight: 5 }, { arbitrary: fc.constantFrom('\n', '\r'), weight: 1 })
}).map((r) => {
  const lengthHeader = r.contentLength === 'none' ? [] : [`Content-Length: ${r.contentLength === 'right' ? Buffer.byteLength(r.body) : r.contentLength}`]
  const head = [r.line, 'Host: 127.0.0.1', 'Content-Type: application/json', ...lengthHeader, ...r.headers].join(r.lineEnd)
  return Buffer.from(`${head}${r.lineEnd}${r.lineEnd}${r.body}`, 'latin1')
})

t.test(`${CASES} raw malformed requests: a 2xx/4xx or a closed connection, never a 5xx; valid requests still answered (seed ${FUZZ_SEED}, FUZZ_SEED=${FUZZ_SEED} replays)`, async (t) => {
  const { app } = await openTestApp(t, { app: { requestTimeout: 5000 } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  const base = `http://127.0.0.1:${address.port}`
  const tally = { answered: 0, closed: 0, valid: 0 }
  let n = 0
  await fc.assert(fc.asyncProperty(rawRequest, async (bytes) => {
    const reply = await exchange(address.port, bytes)
    // 100 Continue is an interim answer to Expect: only final statuses count.
    const statuses = [...reply.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1])).filter((status) => status !== 100)
    if (statuses.length === 0) tally.closed++
    else tally.answered++
    for (const status of statuses) {
      if (status >= 500 || status < 200 || (status >= 300 && status < 400)) throw new Error(`HTTP ${status} for ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`)
    }
    if (++n % VALID_EVERY === 0) {
      const valid = await callHttp(base, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`)
      if (valid.status !== 200) throw new Error(`a valid request after ${n} raw ones: HTTP ${valid.status}`)
      tally.valid++
    }
  }), { numRuns: CASES, seed: FUZZ_SEED })
  const after = await callHttp(base, 'POST', `${CDP}/enable`, JSON.parse(body))
  t.equal(after.status, 200, 'still serving')
  t.pass(`${tally.answered + tally.closed} raw cases: ${tally.answered} answered, ${tally.closed} closed; ${tally.valid} valid requests between them answered`)
})
