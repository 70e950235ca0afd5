// Fan-out to agents: a call's outcome is a value when it is a CdpError (anything else is a
// bug and throws), and `mapLimit` keeps `limit` calls in flight, results in the items' order.
import t from 'tap'
import { mapLimit, settle } from '../../../../src/backend/agent/fan-out.js'
import { CdpError } from '../../../../src/errors.js'

t.test('a call\'s outcome is a value: its answer, or the CdpError it failed with; any other error is thrown', async (t) => {
  t.strictSame(await settle(Promise.resolve(7)), { ok: true, value: 7 })
  const error = new CdpError('AGENT_TIMEOUT', 'http://127.0.0.1:1: no answer within the deadline')
  const failed = await settle(Promise.reject(error))
  t.equal(failed.ok, false)
  t.equal(failed.ok ? undefined : failed.error, error)
  await t.rejects(settle(Promise.reject(new TypeError('a bug'))), { name: 'TypeError', message: 'a bug' })
})

t.test('mapLimit calls every item once, keeps min(limit, items) calls in flight (at least one), and answers in the items\' order', async (t) => {
  for (const [count, limit] of [[0, 3], [1, 3], [5, 1], [5, 2], [5, 5], [5, 9], [4, 0], [4, -2]] as Array<[number, number]>) {
    const calls: number[] = []
    let inFlight = 0
    let most = 0
    const items = Array.from({ length: count }, (_, i) => i)
    const results = await mapLimit(items, limit, async (item) => {
      calls.push(item)
      most = Math.max(most, ++inFlight)
      // Later items finish first: the order of the results is not the order of completion.
      await new Promise((resolve) => setTimeout(resolve, count - item))
      inFlight--
      return item * 10
    })
    const what = `${count} items, limit ${limit}`
    t.strictSame(results, items.map((item) => item * 10), `${what}: results in order`)
    t.strictSame(calls, items, `${what}: each item called once, in order`)
    t.equal(most, Math.min(Math.max(1, limit), count), `${what}: calls in flight`)
  }
})
