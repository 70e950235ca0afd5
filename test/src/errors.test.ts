// The scode catalogue is complete: unique codes, both messages, a status, and each one
// documented in the README.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { Scode, scodeName, type ScodeName } from '../../src/errors.js'

const readme = readFileSync('README.md', 'utf8')
const names = Object.keys(Scode) as ScodeName[]

t.test('every scode is unique and has an English and a Chinese message', async (t) => {
  t.equal(new Set(names.map((n) => Scode[n].scode)).size, names.length, 'no scode used twice')
  for (const name of names) {
    const entry = Scode[name]
    t.ok(entry.message.length > 0 && entry.message_cn.length > 0, `${name}: both messages`)
    t.ok(entry.status >= 400 && entry.status < 600, `${name}: an error status`)
    t.equal(scodeName(entry.scode), name)
  }
})

t.test('every scode appears in the README table', async (t) => {
  for (const name of names) {
    const { scode, status } = Scode[name]
    t.match(readme, new RegExp(`\\|\\s*${scode}\\s*\\|\\s*\`${name}\`\\s*\\|\\s*${status}\\s*\\|`), `${name} (${scode}) documented`)
  }
})
