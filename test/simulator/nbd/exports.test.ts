// The export table: an export's device is made when a client first opens it (a server
// offers every volume, most never opened), once; withdrawing revokes what was opened, and
// names carry their secret when secret names are on.
import t from 'tap'
import { ExportTable } from '../../../simulator/nbd/exports.js'
import { MemoryDevice } from '../../../simulator/nbd/memory-device.js'

t.test('a device is made on the first open only, and one withdraw revokes every opener', async (t) => {
  const table = new ExportTable(false)
  let made = 0
  t.equal(table.publish('volume/a', () => { made++; return new MemoryDevice(4096) }), 'volume/a')
  t.equal(made, 0, 'publishing makes no device')
  const first = table.open('volume/a')
  const second = table.open('volume/a')
  t.equal(made, 1, 'made once')
  t.equal(first?.device, second?.device, 'both openers share the device')
  t.notOk(first?.revoked.aborted)
  table.withdraw('volume/a')
  t.ok(first?.revoked.aborted, 'withdrawn: revoked for those who opened it')
  t.equal(table.open('volume/a'), undefined, 'and no longer offered')
  t.equal(table.nameOf('volume/a'), undefined)
})

t.test('a name published again is a new export: its openers do not see the old one revoked', async (t) => {
  const table = new ExportTable(false)
  table.publish('view/a', new MemoryDevice(4096))
  const old = table.open('view/a')
  table.publish('view/a', () => new MemoryDevice(8192))
  t.ok(old?.revoked.aborted, 'the replaced export is revoked')
  const fresh = table.open('view/a')
  t.equal(fresh?.device.size, 8192)
  t.notOk(fresh?.revoked.aborted)
})

t.test('with secret names, nameOf answers the name with its secret, and only that opens it', async (t) => {
  const table = new ExportTable(true)
  const name = table.publish('volume/a', () => new MemoryDevice(4096))
  t.match(name, /^volume\/a\/[0-9a-f]{32}$/)
  t.equal(table.nameOf('volume/a'), name)
  t.equal(table.open('volume/a'), undefined, 'the bare name opens nothing')
  t.equal(table.open(`${name.slice(0, -1)}${name.endsWith('0') ? '1' : '0'}`), undefined, 'nor a wrong secret')
  t.ok(table.open(name))
  t.strictSame(table.listed(), [])
})
