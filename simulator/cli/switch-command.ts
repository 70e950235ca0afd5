// A cdp-sim command that turns one thing of the simulated cluster on or off through the
// control API: `cdp-sim host offline|online HOST_UUID`, `cdp-sim vm start|stop VM_UUID`.
import { defineCommand, UsageError, type Command } from './command.js'
import { CONNECTION_OPTIONS, uuidArgument, withClient } from './remote.js'
import { CONTROL_API_PREFIX } from '../control.js'

export interface SwitchSpec {
  /** The command's name, and what its positional uuid names. */
  name: string
  summary: string
  description: string
  /** The control API's collection: `/sim/v1/<collection>/{uuid}/state`. */
  collection: string
  /** The state body's boolean field. */
  field: string
  /** Each action word and the value it sets. */
  actions: Record<string, boolean>
  /** How the new state reads: [when true, when false]. */
  says: readonly [string, string]
}

export function switchCommand (spec: SwitchSpec): Command {
  const words = Object.keys(spec.actions)
  const thing = `${spec.name.toUpperCase()}_UUID`
  return defineCommand({
    name: spec.name,
    summary: spec.summary,
    description: spec.description,
    positionals: `${words.join('|')} ${thing}`,
    options: { ...CONNECTION_OPTIONS },
    run: async (values, positionals, io) => {
      const [action, uuid, ...extra] = positionals
      const value = action === undefined ? undefined : spec.actions[action]
      if (value === undefined || uuid === undefined || extra.length > 0) {
        throw new UsageError(`expected ${words.join(' or ')} and a ${thing}, not ${JSON.stringify(positionals.join(' '))}`)
      }
      uuidArgument(uuid, thing)
      const answer = await withClient(values, async (client) =>
        await client.post(`${CONTROL_API_PREFIX}/${spec.collection}/${uuid}/state`, { [spec.field]: value })) as Record<string, unknown>
      io.out(`${spec.name} ${uuid} ${answer[spec.field] === true ? spec.says[0] : spec.says[1]}`)
      return 0
    }
  })
}
