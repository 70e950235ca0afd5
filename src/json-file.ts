// The files settings name (CDP_CONFIG_FILE, CDP_AUTH_TOKENS_FILE, CDP_SIM_TOPOLOGY, CDP_SIM_DB,
// CDP_AGENTS, the PEMs): every way such a file can fail to load is one message that names the
// setting, the path and the fault, so a start that stops says what to fix.
import { readFileSync } from 'node:fs'
import type { Static, TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const INVALID = 'invalid configuration: '

/** What names a file: a variable, or a command-line flag. */
const where = (setting: string, path: string): string => `${INVALID}${setting} (${path})`

/**
 * Runs a loader over a file a setting names; whatever it throws (or rejects with) comes back
 * naming both, unless it already names a setting of its own (the simulator's database
 * opener reads the topology file too).
 */
export function fromSettingFile<T> (setting: string, path: string, load: (path: string) => T): T {
  const named = (err: unknown): Error => {
    const { message } = err as Error
    return message.startsWith(INVALID) ? err as Error : new Error(`${where(setting, path)}: ${message}`)
  }
  try {
    const loaded = load(path)
    return loaded instanceof Promise ? loaded.catch((err: unknown) => { throw named(err) }) as T : loaded
  } catch (err) {
    throw named(err)
  }
}

/** The parsed content of a JSON file a setting names. */
export function readJsonFile (setting: string, path: string): unknown {
  return fromSettingFile(setting, path, (file) => {
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      throw new Error(`cannot read it: ${(err as Error).message}`)
    }
    try {
      return JSON.parse(text) as unknown
    } catch (err) {
      throw new Error(`not JSON: ${(err as Error).message}`)
    }
  })
}

/** A JSON file checked against its schema; the first misfit is named by its JSON path. */
export function loadJsonFile<T extends TSchema> (setting: string, path: string, schema: T): Static<T> {
  const value = readJsonFile(setting, path)
  const first = Value.Errors(schema, value).First()
  if (first !== undefined) throw new Error(`${where(setting, path)}: ${first.path === '' ? '/' : first.path}: ${first.message}`)
  return value as Static<T>
}
