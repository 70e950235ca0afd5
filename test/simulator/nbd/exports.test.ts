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

/** Standing exports `standing/0` … `standing/<count - 1>`, counting the devices made. */
function standing (count: number): { made: () => number, exports: ConstructorParameters<typeof ExportTable>[1] } {
  let made = 0
  const names = Array.from({ length: count }, (_, i) => `standing/${i}`)
  return {
    made: () => made,
    exports: {
      sourceOf: (name) => names.includes(name) ? () => { made++; return new MemoryDevice(4096) } : undefined,
      names: () => names
    }
  }
}

t.test('standing exports are offered and listed without an entry each; a device is made on the first open only', async (t) => {
  const { made, exports } = standing(2)
  const table = new ExportTable(false, exports)
  table.publish('view/a', new MemoryDevice(4096))
  t.strictSame(table.listed(), ['standing/0', 'standing/1', 'view/a'])
  t.equal(table.nameOf('standing/1'), 'standing/1')
  t.equal(table.nameOf('standing/2'), undefined, 'a name the lookup does not know is not offered')
  t.equal(table.open('standing/2'), undefined)
  const first = table.open('standing/0')
  t.equal(table.open('standing/0'), first, 'openers share one export')
  t.equal(made(), 1)
  table.clear()
  t.ok(first?.revoked.aborted, 'closing the table revokes the opened standing exports')
})

t.test('with secret names, a standing export opens only with its secret, which stays the same and differs per name and per table', async (t) => {
  const table = new ExportTable(true, standing(2).exports)
  const name = table.nameOf('standing/0') ?? ''
  t.match(name, /^standing\/0\/[0-9a-f]{32}$/)
  t.equal(table.nameOf('standing/0'), name, 'the same name every time it is asked for')
  t.not(table.nameOf('standing/1')?.slice(-32), name.slice(-32), 'another export has another secret')
  t.not(new ExportTable(true, standing(2).exports).nameOf('standing/0'), name, 'another server has other secrets')
  t.equal(table.open('standing/0'), undefined, 'the bare name opens nothing')
  t.equal(table.open(`${name.slice(0, -1)}${name.endsWith('0') ? '1' : '0'}`), undefined, 'nor a wrong secret')
  t.equal(table.open(`standing/1/${name.slice(-32)}`), undefined, "nor another export's secret")
  const opened = table.open(name)
  t.ok(opened)
  t.equal(table.open(`${name.slice(0, -1)}${name.endsWith('0') ? '1' : '0'}`), undefined, 'a wrong secret opens nothing once it is open either')
  t.equal(table.open(name), opened)
  t.strictSame(table.listed(), [])
})

t.test('withdrawing an export no client opened, or a name never offered, only stops offering it', async (t) => {
  const table = new ExportTable(false)
  let made = 0
  table.publish('view/a', () => { made++; return new MemoryDevice(4096) })
  table.withdraw('view/a')
  table.withdraw('view/never')
  t.equal(table.open('view/a'), undefined)
  t.equal(made, 0, 'no device was made to withdraw it')
  table.publish('view/a', () => { made++; return new MemoryDevice(4096) })
  table.publish('view/a', () => { made++; return new MemoryDevice(4096) })
  t.ok(table.open('view/a'), 'publishing over an unopened export offers the new one')
  t.equal(made, 1)
})

t.test('with secret names, a secret of another length opens nothing, as a wrong one does', async (t) => {
  const table = new ExportTable(true, standing(1).exports)
  for (const name of [table.publish('view/a', new MemoryDevice(4096)), table.nameOf('standing/0') ?? '']) {
    t.equal(table.open(name.slice(0, -1)), undefined, `${name} one digit short`)
    t.equal(table.open(`${name}0`), undefined, `${name} one digit more`)
    t.equal(table.open(`${name.slice(0, name.lastIndexOf('/'))}/`), undefined, `${name} with an empty secret`)
    t.ok(table.open(name))
  }
  t.equal(table.open('view'), undefined, 'a name without a slash has no secret: it opens nothing')
})

t.test('closing the table revokes every opened export; a standing export opened afterwards is a fresh one', async (t) => {
  const { made, exports } = standing(1)
  const table = new ExportTable(false, exports)
  table.publish('view/a', new MemoryDevice(4096))
  table.publish('view/b', new MemoryDevice(4096))
  const views = [table.open('view/a'), table.open('view/b')]
  const before = table.open('standing/0')
  table.clear()
  t.strictSame(views.map((opened) => opened?.revoked.aborted), [true, true], 'both published exports revoked')
  t.equal(table.open('view/a'), undefined, 'and withdrawn')
  t.strictSame(table.listed(), ['standing/0'], 'the standing exports are still offered')
  const after = table.open('standing/0')
  t.ok(before?.revoked.aborted)
  t.notOk(after?.revoked.aborted, 'reopened: not the revoked one')
  t.equal(made(), 2)
})

t.test('without secret names, every export is listed by its own name, the standing ones first', async (t) => {
  t.strictSame(new ExportTable(false).listed(), [])
  const table = new ExportTable(false)
  table.publish('view/b', new MemoryDevice(4096))
  table.publish('view/a', new MemoryDevice(4096))
  t.strictSame(table.listed(), ['view/b', 'view/a'])
  t.equal(table.nameOf('view/a'), 'view/a')
})
