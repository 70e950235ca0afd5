// The info cache's rules one by one (simulator/info-cache.ts), over sources the test moves by
// hand: an answer is given again only while the change count, the data version and the clock
// (before valid-until) all stand; refs that name a volume the same way share an entry; the
// data version is the one read before asking; and PRAGMA data_version moves on a file when
// another connection commits, never for an in-memory database.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import type { CdpInfo, Ns, VolumeRef } from '../../src/backend/port.js'
import { dataVersionOf, InfoCache, type InfoEntry } from '../../simulator/info-cache.js'
import { tempDir } from '../helpers/cdp-sim.js'

const REF: VolumeRef = { cluster_uuid: 'c-uuid', volume_uuid: 'v-uuid' }

/** A cache over sources the test sets, and a read that answers a fresh info (numbered) each time. */
function setup (validUntil: Ns = 100n) {
  const at = { changes: 0n, dataVersion: 0, now: undefined as Ns | undefined }
  const cache = new InfoCache({ changes: () => at.changes, dataVersion: () => at.dataVersion, now: () => at.now })
  let reads = 0
  const read = async (): Promise<InfoEntry> => {
    reads++
    return { info: { cdp_info: [], host_uuid: `read ${reads}` } as unknown as CdpInfo, validUntil, changes: at.changes }
  }
  const ask = async (ref: VolumeRef = REF): Promise<string> => (await cache.info(ref, read)).host_uuid
  return { at, ask, reads: () => reads, cache }
}

t.test('an answer is given again while the change count, the data version and the clock stand', async (t) => {
  const { at, ask, reads } = setup()
  t.equal(await ask(), 'read 1')
  t.equal(await ask(), 'read 1', 'kept')
  t.equal(reads(), 1)
  at.changes = 1n
  t.equal(await ask(), 'read 2', 'a change drops it')
  t.equal(await ask(), 'read 2')
  at.dataVersion = 5
  t.equal(await ask(), 'read 3', 'another connection\'s commit drops it')
  t.equal(await ask(), 'read 3')
  t.equal(reads(), 3)
})

t.test('an answer holds for every now before its valid-until and is dropped at it', async (t) => {
  const { at, ask } = setup(100n)
  at.now = 0n
  t.equal(await ask(), 'read 1')
  at.now = 99n
  t.equal(await ask(), 'read 1', '1 ns before valid-until: kept')
  at.now = 100n
  t.equal(await ask(), 'read 2', 'at valid-until: read again')
  at.now = undefined
  t.equal(await ask(), 'read 2', 'a manual clock (no now): kept while nothing changes')
})

t.test('a commit while the answer is read drops the entry at the next ask', async (t) => {
  const at = { dataVersion: 0 }
  const cache = new InfoCache({ changes: () => 0n, dataVersion: () => at.dataVersion, now: () => undefined })
  let reads = 0
  const read = async (): Promise<InfoEntry> => {
    reads++
    at.dataVersion++
    return { info: { cdp_info: [], host_uuid: String(reads) } as unknown as CdpInfo, validUntil: 0n, changes: 0n }
  }
  t.equal((await cache.info(REF, read)).host_uuid, '1')
  t.equal((await cache.info(REF, read)).host_uuid, '2', 'the entry was kept at the version read before asking')
})

t.test('refs that name a volume the same way share an entry; another volume, cluster or tenant does not', async (t) => {
  const { ask, reads } = setup()
  t.equal(await ask({ cluster_uuid: 'c-uuid', volume_uuid: 'v-uuid' }), 'read 1')
  t.equal(await ask({ cluster_uuid: 'C-UUID', volume_uuid: 'V-Uuid' }), 'read 1', 'any letter case')
  t.equal(await ask({ cluster_uuid: 'c-uuid', volume_uuid: 'v-uuid', tenant: 'T-1' }), 'read 2', 'with a tenant: its own entry')
  t.equal(await ask({ cluster_uuid: 'c-uuid', volume_uuid: 'v-uuid', tenant: 't-1' }), 'read 2', 'the tenant in any letter case')
  t.equal(await ask({ cluster_uuid: 'c-uuid', volume_uuid: 'v-uuid', tenant: 't-2' }), 'read 3', 'another tenant')
  t.equal(await ask({ cluster_uuid: 'c-uuid', volume_uuid: 'v-uuid' }), 'read 1', 'no tenant: the first entry still')
  t.equal(await ask({ cluster_uuid: 'c-uuid', volume_uuid: 'w-uuid' }), 'read 4', 'another volume')
  t.equal(await ask({ cluster_uuid: 'd-uuid', volume_uuid: 'v-uuid' }), 'read 5', 'another cluster')
  t.equal(reads(), 5)
})

t.test('a refusal is not kept: the next ask reads again', async (t) => {
  const cache = new InfoCache({ changes: () => 0n, dataVersion: () => 0, now: () => undefined })
  let reads = 0
  const refuse = async (): Promise<InfoEntry> => { reads++; throw new Error('no') }
  await t.rejects(cache.info(REF, refuse))
  await t.rejects(cache.info(REF, refuse))
  t.equal(reads, 2)
})

t.test('data_version moves on a file when another connection commits; in memory it stays 0', async (t) => {
  for (const memory of [':memory:', '']) {
    const version = dataVersionOf(memory)
    t.equal(version.read(), 0, `${JSON.stringify(memory)}: 0`)
    version.close()
  }
  const dir = tempDir(t, 'cdp-data-version-')
  const file = join(dir, 'db.sqlite')
  const writer = new Database(file)
  t.teardown(() => writer.close())
  writer.exec('CREATE TABLE x (a)')
  const version = dataVersionOf(file)
  const first = version.read()
  t.equal(version.read(), first, 'nothing committed: the same')
  writer.prepare('INSERT INTO x VALUES (1)').run()
  t.not(version.read(), first, 'another connection committed: it moved')
  version.close()
  t.throws(() => version.read(), 'closed: its connection is gone')
  t.throws(() => dataVersionOf(join(dir, 'missing.sqlite')))
  t.notOk(existsSync(join(dir, 'missing.sqlite')), 'a missing file is not created')
})

t.test('refs are told apart as the simulator folds them, by lower case only: ß and SS name different volumes', async (t) => {
  const { ask, reads } = setup()
  t.equal(await ask({ cluster_uuid: 'c-ß', volume_uuid: 'v' }), 'read 1')
  t.equal(await ask({ cluster_uuid: 'c-SS', volume_uuid: 'v' }), 'read 2', 'another cluster')
  t.equal(await ask({ cluster_uuid: 'c', volume_uuid: 'v-ß' }), 'read 3')
  t.equal(await ask({ cluster_uuid: 'c', volume_uuid: 'v-SS' }), 'read 4', 'another volume')
  t.equal(await ask({ cluster_uuid: 'c', volume_uuid: 'v', tenant: 't-ß' }), 'read 5')
  t.equal(await ask({ cluster_uuid: 'c', volume_uuid: 'v', tenant: 't-SS' }), 'read 6', 'another tenant')
  t.equal(reads(), 6)
})

t.test('the data_version connection only reads: closed last, it writes nothing to the file', async (t) => {
  const file = join(tempDir(t, 'cdp-data-version-ro-'), 'db.sqlite')
  const writer = new Database(file)
  writer.pragma('journal_mode = WAL')
  writer.exec('CREATE TABLE x (a)')
  const version = dataVersionOf(file)
  version.read()
  writer.prepare('INSERT INTO x VALUES (1)').run()
  writer.close()
  const before = readFileSync(file)
  version.close()
  t.same(readFileSync(file), before, 'its commit was not checkpointed into the file by the reader')
})
