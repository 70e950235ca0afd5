// The media type of the uint64-strings form, as both sides read it: an Accept list or a
// Content-Type names it when one of its ranges is application/json with the parameter
// uint64=string (quoted or not), in any case and spacing; anything else is plain v1.
import t from 'tap'
import { UINT64_STRINGS_MEDIA, namesUint64Strings } from '../../../../src/backend/agent/protocol.js'

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
