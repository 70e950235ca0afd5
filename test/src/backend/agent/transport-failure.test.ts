// What a request that got no answer becomes, by the socket or undici error it failed with
// (a table written here): a connect error means nothing was sent, so even a revert may go to
// a replica; a timeout is AGENT_TIMEOUT, whoever noticed it; the rest is AGENT_UNREACHABLE,
// named by its code or, without one, its message. Codes nested in a failed multi-address
// connect are found.
import t from 'tap'
import { errorCode, transportFailure } from '../../../../src/backend/agent/client.js'

const URL = 'http://127.0.0.1:9101'
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9101`), { code })

const table: Array<[string, unknown, boolean, { code: string, desc: string, unsent: boolean }]> = [
  ['refused', socketError('ECONNREFUSED'), false, { code: 'AGENT_UNREACHABLE', desc: `${URL}: ECONNREFUSED`, unsent: true }],
  ['no such host', socketError('ENOTFOUND'), false, { code: 'AGENT_UNREACHABLE', desc: `${URL}: ENOTFOUND`, unsent: true }],
  ['name lookup failing for now', socketError('EAI_AGAIN'), false, { code: 'AGENT_UNREACHABLE', desc: `${URL}: EAI_AGAIN`, unsent: true }],
  ['host unreachable', socketError('EHOSTUNREACH'), false, { code: 'AGENT_UNREACHABLE', desc: `${URL}: EHOSTUNREACH`, unsent: true }],
  ['network unreachable', socketError('ENETUNREACH'), false, { code: 'AGENT_UNREACHABLE', desc: `${URL}: ENETUNREACH`, unsent: true }],
  ['a connect timeout', socketError('UND_ERR_CONNECT_TIMEOUT'), false, { code: 'AGENT_TIMEOUT', desc: `${URL}: no answer within the deadline`, unsent: true }],
  ['a headers timeout', socketError('UND_ERR_HEADERS_TIMEOUT'), false, { code: 'AGENT_TIMEOUT', desc: `${URL}: no answer within the deadline`, unsent: false }],
  ['a body timeout', socketError('UND_ERR_BODY_TIMEOUT'), false, { code: 'AGENT_TIMEOUT', desc: `${URL}: no answer within the deadline`, unsent: false }],
  ['our own deadline', Symbol('deadline'), true, { code: 'AGENT_TIMEOUT', desc: `${URL}: no answer within the deadline`, unsent: false }],
  ['a reset', socketError('ECONNRESET'), false, { code: 'AGENT_UNREACHABLE', desc: `${URL}: ECONNRESET`, unsent: false }],
  ['an error without a code', new Error('other side closed'), false, { code: 'AGENT_UNREACHABLE', desc: `${URL}: other side closed`, unsent: false }]
]

t.test('each transport failure: its kind, its detail, retryable, and whether it was sent', async (t) => {
  for (const [what, err, timedOut, expected] of table) {
    const { error, retryable, unsent } = transportFailure(URL, err, timedOut)
    t.strictSame({ code: error.code, desc: error.desc, unsent }, expected, what)
    t.equal(retryable, true, `${what}: retryable`)
  }
})

t.test('an error\'s code, where a failed connect nests it: its own, else the first of several, else its cause\'s', async (t) => {
  t.equal(errorCode(socketError('ECONNRESET')), 'ECONNRESET')
  t.equal(errorCode({ code: 7 }), '', 'a code that is not a string is none')
  t.equal(errorCode(new AggregateError([socketError('ECONNREFUSED'), socketError('EHOSTUNREACH')])), 'ECONNREFUSED')
  t.equal(errorCode(Object.assign(new Error('fetch failed'), { cause: socketError('ENOTFOUND') })), 'ENOTFOUND')
  t.equal(errorCode(Object.assign(new AggregateError([]), { cause: socketError('EAI_AGAIN') })), 'EAI_AGAIN', 'no errors: the cause')
  t.equal(errorCode(Object.assign(socketError('UND_ERR_SOCKET'), { cause: socketError('ECONNRESET') })), 'UND_ERR_SOCKET', 'its own first')
  t.equal(errorCode(undefined), '')
  t.equal(errorCode(new Error('plain')), '')
  t.equal(transportFailure(URL, new AggregateError([socketError('ECONNREFUSED')]), false).unsent, true, 'a nested connect error was not sent')
})
