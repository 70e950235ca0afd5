// The media type of the uint64-strings form, as both sides read it: an Accept list or a
// Content-Type names it when one of its ranges is application/json with the parameter
// uint64=string (quoted or not), in any case and spacing; anything else is plain v1. And
// the records the protocol's answers are checked against: each field they require.
import t, { type Test } from 'tap'
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { AgentEnvelope, UINT64_STRINGS_MEDIA, decode, namesUint64Strings, operations } from '../../../../src/backend/agent/protocol.js'
import { identity } from '../../../helpers/fake-agent.js'

// Written out here, not derived from the module: the table is the rule.
const names: Array<[string | undefined, boolean, string]> = [
  [undefined, false, 'no header'],
  ['', false, 'an empty header'],
  ['application/json', false, 'plain JSON'],
  ['application/json; charset=utf-8', false, 'another parameter only'],
  ['application/json; uint64=number', false, 'another value'],
  ['application/json; uint64', false, 'the parameter without its value'],
  ['text/plain; uint64=string', false, 'the parameter on another type'],
  ['application/json, text/plain; uint64=string', false, 'the parameter on another range of the list'],
  ['application/json; uint64=string', true, 'the media type as the client sends it'],
  ['application/json;uint64=string', true, 'no space before the parameter'],
  ['application/json; uint64="string"', true, 'the value quoted'],
  ['Application/JSON; UINT64=String', true, 'in any case'],
  ['  application/json  ;  uint64=string  ', true, 'with spaces around each part'],
  ['application/json; charset=utf-8; uint64=string', true, 'after another parameter'],
  ['text/html, application/json; uint64=string', true, 'the second range of an Accept list'],
  ['application/json; uint64=string, text/html', true, 'the first range of an Accept list']
]

t.test('a media type names uint64-strings only as a parameter of application/json', async (t) => {
  for (const [header, expected, what] of names) t.equal(namesUint64Strings(header), expected, `${what}: ${JSON.stringify(header)}`)
  t.equal(namesUint64Strings(UINT64_STRINGS_MEDIA), true, 'the protocol\'s own constant')
})

const VOLUME = identity('aaaaaaaa-0000-4000-8000-000000000001')
const refused = (t: Test, schema: TSchema, value: unknown, what: string) =>
  t.throws(() => decode(schema, value, 'AGENT_BAD_RESPONSE'), { code: 'AGENT_BAD_RESPONSE' }, what)

t.test('a batch answer is one result per volume: scode, desc and the volume\'s identity, each required', async (t) => {
  const item = { scode: 0, desc: '', volume: VOLUME }
  t.strictSame(decode(operations.enable.answer, { results: [item] }, 'AGENT_BAD_RESPONSE'), { results: [item] })
  refused(t, operations.enable.answer, {}, 'no results')
  for (const field of ['scode', 'desc', 'volume'] as const) {
    const { [field]: _gone, ...rest } = item
    refused(t, operations.enable.answer, { results: [rest] }, `an item without ${field}`)
  }
  refused(t, operations.enable.request, { volumes: [] }, 'a batch of no volumes')
})

t.test('a group answer has the group\'s time and, per volume, its base snapshot and view host', async (t) => {
  const item = { scode: 0, desc: '', volume: VOLUME, snapshot_name: 'CDP-auto-1', host_uuid: 'h' }
  t.strictSame(decode(operations.groupRevert.answer, { time: 5, results: [item] }, 'AGENT_BAD_RESPONSE'), { time: 5n, results: [item] })
  refused(t, operations.groupRevert.answer, { results: [item] }, 'no time')
  refused(t, operations.groupRevert.answer, { time: 5 }, 'no results')
  for (const field of ['snapshot_name', 'host_uuid', 'scode'] as const) {
    const { [field]: _gone, ...rest } = item
    refused(t, operations.groupRevert.answer, { time: 5, results: [rest] }, `an item without ${field}`)
  }
})

t.test('a list cursor is a volume name and uuid', async (t) => {
  const ask = { cluster_uuid: VOLUME.cluster_uuid, limit: 1 }
  const after = { volume_name: 'vol-1', volume_uuid: VOLUME.volume_uuid }
  t.strictSame(decode(operations.list.request, { ...ask, after }, 'INVALID_PARAMETER'), { ...ask, after })
  refused(t, operations.list.request, { ...ask, after: { volume_name: 'vol-1' } }, 'no uuid')
  refused(t, operations.list.request, { ...ask, after: { volume_uuid: VOLUME.volume_uuid } }, 'no name')
})

t.test('every answer travels in the envelope: scode, desc, message, message_cn, a null stack, and data', async (t) => {
  const envelope = { scode: 0, desc: '', message: 'success', message_cn: '成功', stack: null, data: {} }
  t.ok(Value.Check(AgentEnvelope, envelope))
  for (const field of ['scode', 'desc', 'message', 'message_cn', 'stack'] as const) {
    const { [field]: _gone, ...rest } = envelope
    t.notOk(Value.Check(AgentEnvelope, rest), `without ${field}`)
  }
})
