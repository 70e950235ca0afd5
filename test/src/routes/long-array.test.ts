// A long array sent without holding the event loop: whether the items come as objects
// (printed in steps) or printed already by the backend, the bytes are those the route's
// serialiser prints for the whole answer in one go; and between steps the loop runs.
import fc from 'fast-check'
import t from 'tap'
import { succeeded } from '../../../src/envelope.js'
import { createHttpApp } from '../../../src/http-app.js'
import { STEP_ITEMS, sendWithLongArray } from '../../../src/routes/long-array.js'
import { responses } from '../../../src/schemas/common.js'
import { CdpListData, printListItems } from '../../../src/schemas/list.js'
import type { CdpListItem } from '../../../src/backend/port.js'

type Answer = ReturnType<typeof succeeded<{ TotalCount: number, List: CdpListItem[], each_range_list_state: [] }>>

/** Three ways to answer one list: whole (the route's serialiser), in steps, spliced from printed bytes. */
async function listApp (answer: () => Answer, print = printListItems) {
  const app = createHttpApp()
  const schema = { response: responses(CdpListData) }
  const empty = () => ({ ...answer(), data: { ...answer().data, List: [] } })
  app.get('/whole', { schema }, async () => answer())
  app.get('/steps', { schema }, async (_request, reply) => await sendWithLongArray(reply, empty(), { key: 'List', items: answer().data.List, print }))
  app.get('/printed', { schema }, async (_request, reply) => await sendWithLongArray(reply, empty(), {
    key: 'List', items: new TextEncoder().encode(printListItems(answer().data.List)), print
  }))
  await app.ready()
  return app
}

// Names with quotes, backslashes, a marker-like text, control characters and non-ASCII.
const text = fc.oneof(fc.string(), fc.constantFrom('"List":[]', 'a\\"b', '卷-数据库', '\u0000\u001f', '😀'))
const item: fc.Arbitrary<CdpListItem> = fc.record({
  cluster_uuid: text,
  cluster_name: text,
  cluster_mode: text,
  tenant: text,
  tenant_name: text,
  volume_uuid: text,
  volume_name: text,
  vm_name: text,
  vm_uuid: text,
  reserve_duration: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  reserve_capacity: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  cdp_create_time: fc.integer({ min: 0, max: 2 ** 40 }),
  cdp_state: fc.constantFrom('on' as const, 'off' as const),
  cdp_priority: fc.constantFrom('high' as const, 'mid' as const, 'low' as const)
})

t.test('in steps and spliced from printed bytes, the answer is the whole answer byte for byte', async (t) => {
  let current: Answer = succeeded({ TotalCount: 0, List: [], each_range_list_state: [] })
  const app = await listApp(() => current)
  t.teardown(() => app.close())
  // Up to three steps and a bit: an empty list, one item, step edges, a partial last step.
  const items = fc.oneof(fc.array(item, { maxLength: 3 }), fc.array(item, { minLength: STEP_ITEMS - 1, maxLength: 3 * STEP_ITEMS + 1 }))
  await fc.assert(fc.asyncProperty(items, async (list) => {
    current = succeeded({ TotalCount: list.length, List: list, each_range_list_state: [] })
    const whole = await app.inject({ url: '/whole' })
    for (const path of ['/steps', '/printed']) {
      const answer = await app.inject({ url: path })
      if (answer.body !== whole.body) return false
      if (answer.headers['content-type'] !== whole.headers['content-type'] || answer.headers['content-length'] !== whole.headers['content-length']) return false
    }
    return true
  }), { numRuns: 40 })
  t.pass('40 lists, each the same bytes three ways')
})

t.test('between two steps the event loop runs other work', async (t) => {
  const log: string[] = []
  const list = Array.from({ length: 3 * STEP_ITEMS }, () => fc.sample(item, { numRuns: 1, seed: 7 })[0] as CdpListItem)
  const app = await listApp(() => succeeded({ TotalCount: list.length, List: list, each_range_list_state: [] }), (items) => {
    log.push('step')
    return printListItems(items)
  })
  t.teardown(() => app.close())
  let ticking = true
  const tick = (): void => {
    log.push('tick')
    if (ticking) setImmediate(tick)
  }
  setImmediate(tick)
  await app.inject({ url: '/steps' })
  ticking = false
  const steps = log.flatMap((entry, i) => entry === 'step' ? [i] : [])
  t.equal(steps.length, 3, 'three steps')
  for (let k = 1; k < steps.length; k++) {
    t.ok(log.slice(steps[k - 1], steps[k]).includes('tick'), `other work ran before step ${k + 1}`)
  }
})
