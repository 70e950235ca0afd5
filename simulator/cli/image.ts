// `cdp-sim image`: downloads a volume's image (now, or at a recoverable point) as raw bytes.
import { defineCommand, uint64Option, UsageError } from './command.js'
import { CONNECTION_OPTIONS, uuidArgument, withClient } from './remote.js'

export const image = defineCommand({
  name: 'image',
  summary: 'Download a volume\'s image as raw bytes (now, or at a recoverable point with --at)',
  description: [
    'Writes GET /sim/v1/volumes/VOLUME/image/raw[?at=NS] to FILE and prints the bytes written.',
    'Its digest (GET …/image) is computable from those bytes; see docs/simulator.md, "Block devices (NBD)".'
  ].join('\n'),
  positionals: 'VOLUME',
  options: {
    ...CONNECTION_OPTIONS,
    at: { type: 'string', value: 'NS', description: 'a recoverable point in time, ns since the epoch' },
    output: { type: 'string', short: 'o', value: 'FILE', description: 'where to write the image (required)' }
  },
  run: async (values, positionals, io) => {
    if (positionals.length !== 1) throw new UsageError('expected one VOLUME uuid')
    const volume = uuidArgument(positionals[0]!, 'VOLUME')
    if (values.output === undefined || values.output === '') throw new UsageError('-o FILE is required')
    const query = values.at === undefined ? '' : `?at=${uint64Option(values.at, 'at')}`
    const output = values.output
    const bytes = await withClient(values, async (client) => await client.download(`/sim/v1/volumes/${volume}/image/raw${query}`, output))
    io.out(`${bytes} bytes written to ${output}`)
    return 0
  }
})
