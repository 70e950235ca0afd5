// The scode catalogue is complete and docs/scodes.md is its page: unique codes, both messages
// and a status for each entry, and the catalogue and the page's table agree both ways (every
// entry a row with its status and messages, every row an entry).
import t from 'tap'
import { Scode, scodeName, type ScodeName } from '../../src/errors.js'
import { section } from '../helpers/markdown.js'

const names = Object.keys(Scode) as ScodeName[]

interface Row { scode: number, name: string, status: number, message: string, message_cn: string }

/** The rows of the table in docs/scodes.md: | scode | `NAME` | HTTP | message | message_cn |. */
function documented (): Row[] {
  const rows = section('docs/scodes.md', 'The catalogue').split('\n').filter((line) => /^\|\s*\d+\s*\|/.test(line))
  return rows.map((line) => {
    const [scode, name, status, message, messageCn] = line.split('|').slice(1, -1).map((cell) => cell.trim())
    return { scode: Number(scode), name: (name ?? '').replaceAll('`', ''), status: Number(status), message: message ?? '', message_cn: messageCn ?? '' }
  })
}

t.test('every scode is unique and has an English and a Chinese message', async (t) => {
  t.equal(new Set(names.map((n) => Scode[n].scode)).size, names.length, 'no scode used twice')
  for (const name of names) {
    const entry = Scode[name]
    t.ok(entry.message.length > 0 && entry.message_cn.length > 0, `${name}: both messages`)
    t.ok(entry.status >= 400 && entry.status < 600, `${name}: an error status`)
    t.equal(scodeName(entry.scode), name)
  }
})

t.test('every catalogue entry is a row of docs/scodes.md, as the catalogue has it', async (t) => {
  const rows = new Map(documented().map((row) => [row.name, row]))
  for (const name of names) {
    const { scode, status, message, message_cn: messageCn } = Scode[name]
    t.strictSame(rows.get(name), { scode, name, status, message, message_cn: messageCn }, `${name} (${scode}) documented`)
  }
})

t.test('every row of docs/scodes.md is a catalogue entry, listed once', async (t) => {
  const rows = documented()
  t.ok(rows.length > 0, 'the page has a table')
  t.equal(new Set(rows.map((row) => row.name)).size, rows.length, 'no row twice')
  for (const row of rows) t.ok(row.name in Scode, `${row.name} (${row.scode}) is in src/errors.ts`)
})
