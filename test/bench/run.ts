// `npm run bench` runs every benchmark; `npm run bench -- NAME…` runs the named ones.
// Each benchmark file is test/bench/NAME.bench.ts exporting `run()`, which measures the
// subject against a baseline in the same process and returns one result; it is printed
// as one JSON line: {"bench": NAME, …figures, "ratio": subject/baseline}.
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export type BenchResult = Record<string, number | string | boolean>

const here = dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort()

const wanted = process.argv.slice(2)
const unknown = wanted.filter((name) => !available.includes(name))
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; available: ${available.join(', ')}`)
  process.exit(2)
}

for (const name of wanted.length > 0 ? wanted : available) {
  const bench = await import(pathToFileURL(join(here, `${name}.bench.ts`)).href) as { run: () => Promise<BenchResult> }
  const result = await bench.run()
  console.log(JSON.stringify({ bench: name, ...result }))
}
