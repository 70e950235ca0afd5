// `cdp-sim clock`: the simulator's clock (now and mode), and `clock advance` to move a
// manual clock forward.
import { defineCommand, uint64Option, UsageError } from './command.js'
import { formatTime } from './format.js'
import { CONNECTION_OPTIONS, uint64, withClient } from './remote.js'
import { CONTROL_API_PREFIX } from '../control.js'

function clockLines (answer: unknown): string[] {
  const { now, mode } = answer as { now: unknown, mode: string }
  return [`now  ${formatTime(uint64(now, 'now'), true)}`, `mode ${mode}`]
}

export const clock = defineCommand({
  name: 'clock',
  summary: 'Print the simulator\'s clock (now and mode), or advance a manual clock',
  description: [
    '`cdp-sim clock` prints now (UTC and ns) and the mode; `cdp-sim clock advance` moves a',
    'manual clock forward by --seconds or --nanoseconds (exactly one) and prints the new now.',
    'A real clock cannot be advanced (scode 4010).'
  ].join('\n'),
  positionals: '[advance]',
  options: {
    ...CONNECTION_OPTIONS,
    seconds: { type: 'string', value: 'S', description: 'with advance: seconds to move the clock forward' },
    nanoseconds: { type: 'string', value: 'N', description: 'with advance: nanoseconds to move the clock forward' }
  },
  run: async (values, positionals, io) => {
    const [action, ...extra] = positionals
    if (extra.length > 0 || (action !== undefined && action !== 'advance')) {
      throw new UsageError(`expected nothing or "advance", not ${JSON.stringify(positionals.join(' '))}`)
    }
    const by = values.seconds === undefined ? undefined : { seconds: uint64Option(values.seconds, 'seconds') }
    const byNs = values.nanoseconds === undefined ? undefined : { nanoseconds: uint64Option(values.nanoseconds, 'nanoseconds') }
    if (action === undefined && (by !== undefined || byNs !== undefined)) throw new UsageError('--seconds and --nanoseconds go with "clock advance"')
    if (action === 'advance' && (by === undefined) === (byNs === undefined)) throw new UsageError('clock advance needs exactly one of --seconds, --nanoseconds')
    const lines = await withClient(values, async (client) => clockLines(action === undefined
      ? await client.get(`${CONTROL_API_PREFIX}/clock`)
      : await client.post(`${CONTROL_API_PREFIX}/clock/advance`, by ?? byNs)))
    for (const line of lines) io.out(line)
    return 0
  }
})
