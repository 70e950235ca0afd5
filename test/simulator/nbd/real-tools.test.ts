// The NBD server judged by clients nobody here wrote: nbdinfo, nbdcopy (libnbd), qemu-img and
// qemu-io (QEMU), against in-memory exports.
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { MiB, memoryServer, tool } from '../../helpers/nbd.js'

interface Info { exports: Array<{ 'export-name': string, 'export-size': number, is_read_only: boolean, can_trim: boolean, contexts: string[] }> }
interface MapEntry { offset: number, length: number, description: string }

t.test('nbdinfo shows each export\'s size, read-only flag and base:allocation', async (t) => {
  const { uri, names } = await memoryServer(t)
  const rw = JSON.parse(await tool('nbdinfo', ['--json', uri(names.rw)])) as Info
  const ro = JSON.parse(await tool('nbdinfo', ['--json', uri(names.ro)])) as Info
  t.match(rw.exports[0], { 'export-name': 'rw', 'export-size': 8 * MiB, is_read_only: false, can_trim: true, contexts: ['base:allocation'] })
  t.match(ro.exports[0], { 'export-name': 'ro', 'export-size': 4 * MiB, is_read_only: true, can_trim: false })
  const listed = JSON.parse(await tool('nbdinfo', ['--list', '--json', uri('')])) as Info
  t.same(listed.exports.map((e) => e['export-name']).sort(), ['ro', 'rw'])
})

t.test('nbdcopy writes an image in and reads the same bytes back; qemu-img compare agrees', async (t) => {
  const { uri, names } = await memoryServer(t)
  const dir = t.testdir()
  const image = randomBytes(8 * MiB)
  await writeFile(join(dir, 'in.img'), image)
  await tool('nbdcopy', [join(dir, 'in.img'), uri(names.rw)])
  await tool('nbdcopy', [uri(names.rw), join(dir, 'out.img')])
  t.ok(image.equals(await readFile(join(dir, 'out.img'))), 'the bytes read back are the bytes written')
  t.match(await tool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', join(dir, 'in.img'), uri(names.rw)]), /identical/)
  image[5 * MiB] = image[5 * MiB]! ^ 1
  await writeFile(join(dir, 'in.img'), image)
  await t.rejects(tool('qemu-img', ['compare', '-f', 'raw', '-F', 'raw', join(dir, 'in.img'), uri(names.rw)]), 'one flipped bit differs')
})

t.test('qemu-io writes a pattern, reads it back, and unaligned I/O goes through its block-size handling', async (t) => {
  const { uri, names } = await memoryServer(t)
  const out = await tool('qemu-io', ['-f', 'raw',
    '-c', 'write -P 0x55 64k 128k', '-c', 'read -P 0x55 64k 128k', '-c', 'read -P 0 0 64k',
    '-c', 'write -P 0x11 1000 10', '-c', 'read -P 0x11 1000 10', '-c', 'read -P 0 990 10', uri(names.rw)])
  t.notMatch(out, /Pattern verification failed|error/i, 'every pattern verified')
  t.match(out, /read 10\/10 bytes at offset 1000/)
})

t.test('a read-only export refuses writes: qemu-io cannot write, the bytes stay zero', async (t) => {
  const { uri, names } = await memoryServer(t)
  await t.rejects(tool('qemu-io', ['-f', 'raw', '-c', 'write -P 0x55 0 4k', uri(names.ro)]))
  const out = await tool('qemu-io', ['-f', 'raw', '-r', '-c', 'read -P 0 0 4k', uri(names.ro)])
  t.notMatch(out, /Pattern verification failed/)
})

t.test('base:allocation: unwritten and trimmed space are holes, written space is data', async (t) => {
  const { uri, names } = await memoryServer(t)
  await tool('qemu-io', ['-f', 'raw', '-c', 'write -P 1 1M 1M', '-c', 'write -P 2 4M 1M', '-c', 'discard 4M 1M', uri(names.rw)])
  const map = JSON.parse(await tool('nbdinfo', ['--map', '--json', uri(names.rw)])) as MapEntry[]
  t.same(map.map(({ offset, length, description }) => ({ offset, length, data: description === 'data' })), [
    { offset: 0, length: 1 * MiB, data: false },
    { offset: 1 * MiB, length: 1 * MiB, data: true },
    { offset: 2 * MiB, length: 6 * MiB, data: false }
  ])
})

t.test('with secret names, NBD_OPT_LIST lists nothing and only the full secret name opens', async (t) => {
  const { uri, names } = await memoryServer(t, { secretNames: true })
  t.match(names.ro, /^ro\/[0-9a-f]{32}$/)
  const listed = JSON.parse(await tool('nbdinfo', ['--list', '--json', uri('')])) as Info
  t.same(listed.exports, [])
  await t.rejects(tool('nbdinfo', [uri('ro')]))
  await t.rejects(tool('nbdinfo', [uri(`ro/${'0'.repeat(32)}`)]))
  const info = JSON.parse(await tool('nbdinfo', ['--json', uri(names.ro)])) as Info
  t.equal(info.exports[0]!['export-size'], 4 * MiB)
})
