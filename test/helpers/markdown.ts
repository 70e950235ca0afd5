// Reading the documentation the tests check: a `## ` section of a page of the clone, and a
// fenced block in it. A missing section or block fails with the page and heading named.
import { readFileSync } from 'node:fs'

/** The text of `## heading` in `page` (a path from the repository root), up to the next `## `. */
export function section (page: string, heading: string): string {
  const text = readFileSync(page, 'utf8')
  const start = text.indexOf(`\n## ${heading}\n`)
  if (start === -1) throw new Error(`${page} has no section "## ${heading}"`)
  const end = text.indexOf('\n## ', start + 1)
  return text.slice(start, end === -1 ? undefined : end)
}

/** The first ```lang block of a section whose text starts with `opening` (any, when not given). */
export function fencedBlock (page: string, heading: string, lang: string, opening = ''): string {
  for (const [, block] of section(page, heading).matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))) {
    if (block?.startsWith(opening) === true) return block
  }
  throw new Error(`no \`\`\`${lang} block${opening === '' ? '' : ` starting "${opening}"`} under "## ${heading}" in ${page}`)
}
