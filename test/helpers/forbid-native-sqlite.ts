// Preloaded with --import into a child process: any attempt to load better-sqlite3 (the
// package, resolved by an ESM or CommonJS import, or its native addon) throws, so a process
// that runs normally with this preload provably never loaded it.
import Module, { register } from 'node:module'

const FORBIDDEN = 'better-sqlite3 must not be loaded in this process'

register(`data:text/javascript,${encodeURIComponent(`
export async function resolve (specifier, context, next) {
  if (specifier === 'better-sqlite3' || specifier.startsWith('better-sqlite3/')) throw new Error(${JSON.stringify(FORBIDDEN)})
  return next(specifier, context)
}`)}`)

const cjs = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown }
const load = cjs._load
cjs._load = function (request: string, ...rest: unknown[]) {
  if (request === 'better-sqlite3' || request.includes('better-sqlite3/')) throw new Error(FORBIDDEN)
  return load.call(this, request, ...rest)
}

const dlopen = process.dlopen
process.dlopen = (module: object, filename: string, ...rest: unknown[]): void => {
  if (filename.includes('better_sqlite3')) throw new Error(FORBIDDEN)
  dlopen.call(process, module, filename, ...rest as [number])
}
