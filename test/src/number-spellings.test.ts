// How numbers and keys may be written. A uint64 body field takes a plainly written JSON
// integer or a string of decimal digits, nothing else; a querystring integer is decimal
// digits only; a JSON object names each key once. Every refusal is a 400 envelope and
// changes nothing.
import t from 'tap'
import { CDP, DEMO, call, openTestApp } from '../helpers/app.js'

const volume = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.vol1 }
const POLICY = '"cdp_priority":"mid","reserve_capacity":32212254720'
const batch = (duration: string) => `{${POLICY},"reserve_duration":${duration},"volumes":[{"cluster_uuid":"${DEMO.cluster}","volume_uuid":"${DEMO.vol1}"}]}`

const REFUSED_UINT64 = ['-0', '0.0', '1e0', '0e5', '1E3', '86400.0', '8.64e4', '-1', '1.5', '18446744073709551616',
  '"-0"', '"0.0"', '"1e0"', '"0x10"', '" 1"', '"1 "', '"+1"', '""', '"١٦"', 'null', 'true', '[]', '{}']
// 0 is a plain integer too, but a reserve_duration of 0 is refused (below the 1 s minimum).
const ACCEPTED_UINT64: Array<[string, bigint]> = [['1', 1n], ['86400', 86400n], ['"86400"', 86400n], ['"007"', 7n],
  ['18446744073709551615', 2n ** 64n - 1n], ['"18446744073709551615"', 2n ** 64n - 1n]]

t.test('uint64 body fields refuse every spelling but plain integers and digit strings', async (t) => {
  const { app } = await openTestApp(t)
  for (const spelling of REFUSED_UINT64) {
    const answer = await call(app, 'POST', `${CDP}/edit`, batch(spelling))
    t.strictSame([answer.status, answer.body.scode, answer.body.data], [400, 1005, null], `reserve_duration ${spelling}: INVALID_UINT64`)
    t.match(answer.body.desc, 'reserve_duration', 'names the field')
  }
  const listed = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`)
  t.equal(listed.body.data.TotalCount, 0, 'no refused edit created anything')
})

t.test('uint64 body fields take plain integers and digit strings exactly', async (t) => {
  const { app } = await openTestApp(t)
  for (const [spelling, value] of ACCEPTED_UINT64) {
    const answer = await call(app, 'POST', `${CDP}/edit`, batch(spelling))
    t.strictSame([answer.body.scode, answer.body.data.success], [0, 1], `reserve_duration ${spelling}: accepted`)
    const listed = await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}`)
    t.equal(BigInt(listed.body.data.List[0].reserve_duration), value, `read as ${value}`)
  }
})

t.test('every uint64 body field is held to it: timestamp, usd_seq', async (t) => {
  const { app } = await openTestApp(t)
  for (const spelling of ['-0', '1e0', '0.0', '0e5']) {
    for (const [url, body] of [
      [`${CDP}/view`, `{"cluster_uuid":"${DEMO.cluster}","volume_uuid":"${DEMO.vol1}","op":"on","snapshot_name":"s","timestamp":${spelling}}`],
      [`${CDP}/revert`, `{"cluster_uuid":"${DEMO.cluster}","volume_uuid":"${DEMO.vol1}","snapshot_name":"s","timestamp":${spelling}}`],
      [`${CDP}/clean`, `{"cluster_uuid":"${DEMO.cluster}","volume_uuid":"${DEMO.vol1}","usd_seq":${spelling}}`]
    ] as const) {
      const answer = await call(app, 'POST', url, body)
      t.strictSame([answer.status, answer.body.scode], [400, 1005], `${url.slice(CDP.length)} ${spelling}`)
    }
  }
})

t.test('querystring integers are decimal digits only', async (t) => {
  const { app } = await openTestApp(t)
  await call(app, 'POST', `${CDP}/edit`, batch('86400'))
  const list = async (field: string, text: string) => await call(app, 'GET', `${CDP}/list?cluster_uuid=${DEMO.cluster}&${field}=${encodeURIComponent(text)}`)
  for (const field of ['page_num', 'page_size']) {
    for (const text of ['0x10', ' 16', '16 ', '1e1', '1.0', '+1', '-0', '-1', '', '١٦', 'Infinity', '1'.repeat(400)]) {
      const answer = await list(field, text)
      t.strictSame([answer.status, answer.body.scode], [400, 1002], `${field}=${JSON.stringify(text)}: INVALID_PARAMETER`)
      t.match(answer.body.desc, field, 'names the field')
    }
    for (const text of ['0', '1', '007', '2147483648']) {
      t.equal((await list(field, text)).body.scode, 0, `${field}=${text}: accepted`)
    }
  }
  t.same((await list('page_size', '001')).body.data.List.length, 1, 'leading zeros are still decimal')
})

t.test('a key named twice in one object is refused, whatever its values', async (t) => {
  const { app } = await openTestApp(t)
  const v = `"cluster_uuid":"${DEMO.cluster}","volume_uuid":"${DEMO.vol1}"`
  for (const [why, body] of [
    ['same value', `{${v},"volume_uuid":"${DEMO.vol1}"}`],
    ['different values', `{${v},"volume_uuid":"${DEMO.cdp1}"}`],
    ['one spelled with an escape', `{${v},"volume\\u005fuuid":"${DEMO.vol1}"}`],
    ['inside a batch volume', `{"volumes":[{${v},"tenant":"${DEMO.ken}","tenant":"${DEMO.ken}"}]}`],
    ['an unknown key', `{${v},"x":1,"x":1}`],
    ['whitespace before the colon', `{${v},"volume_uuid"  \n :"${DEMO.vol1}"}`]
  ] as const) {
    const url = why === 'inside a batch volume' ? `${CDP}/enable` : `${CDP}/clean`
    const answer = await call(app, 'POST', url, body)
    t.strictSame([answer.status, answer.body.scode], [400, 1001], `${why}: INVALID_JSON`)
    t.match(answer.body.desc, /duplicate key/i, why)
  }
  for (const [why, body] of [
    ['one key in each of two volumes', `{"volumes":[{${v}},{${v}}]}`],
    ['a key equal to a string value', `{"volumes":[{"cluster_uuid":"${DEMO.cluster}","volume_uuid":"${DEMO.vol1}","volume_name":"volume_uuid"}]}`],
    ['keys that differ only in case', `{"volumes":[{${v},"Volume_uuid":"x"}]}`]
  ] as const) {
    const answer = await call(app, 'POST', `${CDP}/enable`, body)
    t.equal(answer.status, 200, `${why}: not a duplicate`)
  }
  t.strictSame(volume, { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.vol1 })
})
