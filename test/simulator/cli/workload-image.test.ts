// `cdp-sim workload` writes real seeded bytes, and `cdp-sim image` downloads them, both as
// processes against `cdp-sim serve --port 0`: the file is the image the test builds itself by
// applying the seed's writes (WritePattern, the generator docs/simulator.md documents) to zeros.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { WritePattern } from '../../../simulator/cli/write-pattern.js'
import { CDP } from '../../helpers/app.js'
import { cdpSim, startServing } from '../../helpers/cdp-sim.js'
import { MiB, oneVolumeTopology } from '../../helpers/nbd.js'

const SIZE = 2 * MiB
const BLOCK = 8192
const COUNT = 60

/** What COUNT writes of this seed leave on `image`. */
function applySeed (image: Buffer, volume: string, seed: number): Buffer {
  const pattern = new WritePattern({ volumes: [volume], pattern: 'random', blockSize: BLOCK, span: SIZE, seed, fillShare: 0.5 })
  for (let i = 0; i < COUNT; i++) {
    const { offset } = pattern.next()
    const content = pattern.content()
    if ('data' in content) content.data.copy(image, offset)
    else image.fill(content.fill, offset, offset + BLOCK)
  }
  return image
}

t.test('workload --fill-share writes the seed\'s fills and random bytes; image downloads them, now and at a past point', async (t) => {
  const dir = t.testdir()
  const { path, cluster, volume } = await oneVolumeTopology(dir, SIZE)
  const served = await startServing(t, ['serve', '--port', '0', '--topology', path], /^(http:\/\/127\.0\.0\.1:\d+)$/)
  t.equal((await served.post(`${CDP}/enable`, { volumes: [{ cluster_uuid: cluster, volume_uuid: volume }] })).body.data.success, 1)
  const workload = async (seed: number): Promise<void> => {
    const run = await cdpSim(t, ['workload', '--url', served.url, '--volume', volume, '--count', String(COUNT), '--rate', '0',
      '--pattern', 'random', '--block-size', String(BLOCK), '--span', String(SIZE), '--fill-share', '0.5', '--seed', String(seed)])
    t.equal(run.code, 0, run.stderr)
    t.match(run.stdout, `data random with 50% fills, seed ${seed}`)
  }
  const image = async (name: string, at?: bigint): Promise<Buffer> => {
    const file = join(dir, name)
    const run = await cdpSim(t, ['image', volume, ...(at === undefined ? [] : ['--at', String(at)]), '-o', file, '--url', served.url])
    t.equal(run.code, 0, run.stderr)
    t.equal(run.stdout, `${SIZE} bytes written to ${file}\n`)
    return await readFile(file)
  }

  await workload(5)
  const noted = (await served.get('/sim/v1/clock')).body.data.now as bigint
  await served.post('/sim/v1/clock/advance', { seconds: 1 })
  await workload(6)

  const first = applySeed(Buffer.alloc(SIZE), volume, 5)
  const both = applySeed(Buffer.from(first), volume, 6)
  t.not(first.compare(both), 0, 'the second seed changed something')
  const fills = new Set<number>()
  for (let at = 0; at < SIZE; at += BLOCK) if (both.subarray(at, at + BLOCK).every((b) => b === both[at])) fills.add(both[at]!)
  t.ok([...fills].some((b) => b !== 0), 'some blocks are fills')
  t.ok((await image('now.img')).equals(both), 'now: both runs\' bytes')
  t.ok((await image('then.img', noted)).equals(first), 'at the noted time: the first run\'s only')
  t.equal(await served.stop(), 0)
})
