// What tests of `cdp-sim cluster` read from it: its printed lines, its agents' processes
// (found by the cluster's own database path in their command lines), whether one still answers.
import { readdirSync, readFileSync } from 'node:fs'
import { request } from 'undici'

export const CONTROL_LINE = /^control (http:\/\/127\.0\.0\.1:\d+)$/

/** The stdout lines a cluster printed before its control line, by kind. */
export function printed (lines: string[]) {
  const of = (kind: string) => lines.filter((l) => l.startsWith(`${kind} `)).map((l) => l.slice(kind.length + 1))
  return { agents: of('agent'), api: of('api'), routes: of('routes') }
}

/** Processes whose command line holds `text` (the cluster's own database path: its agents). */
export function pidsWith (text: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text) ? [Number(d)] : []
    } catch {
      return []
    }
  })
}

/** True when nothing answers at `url` any more. */
export async function refuses (url: string): Promise<boolean> {
  try {
    await request(`${url}/agent/v1/health`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
    return false
  } catch {
    return true
  }
}
