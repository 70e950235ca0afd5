// What the API spends reading one agent answer, the `api-info` one (3 segments, 102
// snapshots), in each wire form: plain v1 (lossless parse, TypeBox Decode) and
// uint64-strings (JSON.parse with the key checks, the schema-derived decoder). CPU time of
// this thread per answer, best of 5 rounds (it is not skewed by other processes as a rate
// is); ratio: plain / strings.
import { stringify } from 'lossless-json'
import { operations } from '../../src/backend/agent/protocol.js'
import { parseJson, parseJsonAsDoubles, stringifyUint64Strings } from '../../src/json.js'
import { decode, decodeStrings } from '../../src/schemas/wire.js'
import { succeeded } from '../../src/envelope.js'
import type { BenchResult } from './run.js'
import { infoData } from './api-setup.js'

const ROUNDS = 5
const ANSWERS = 2000

/** Microseconds of CPU per call of `read`, the best round's. */
function cpuPerCall (read: () => unknown): number {
  let best = Infinity
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage()
    for (let i = 0; i < ANSWERS; i++) read()
    const { user, system } = process.cpuUsage(start)
    best = Math.min(best, (user + system) / ANSWERS)
  }
  return best
}

export async function run (): Promise<BenchResult> {
  const { sim, ref } = await infoData(':memory:')
  const answer = succeeded(await sim.info(ref))
  await sim.close()
  const plainText = stringify(answer) ?? ''
  const stringsText = stringifyUint64Strings(answer)
  const { answer: schema } = operations.info
  const plainUs = cpuPerCall(() => decode(schema, (parseJson(plainText) as { data: unknown }).data, 'AGENT_BAD_RESPONSE'))
  const stringsUs = cpuPerCall(() => decodeStrings(schema, (parseJsonAsDoubles(stringsText) as { data: unknown }).data, 'AGENT_BAD_RESPONSE'))
  return { bytes: Buffer.byteLength(stringsText), plain_us: Number(plainUs.toFixed(1)), strings_us: Number(stringsUs.toFixed(1)), ratio: Number((plainUs / stringsUs).toFixed(2)) }
}
