// The README and docs/ are complete in a clone: every relative link names a file of the
// repository and, with a #fragment, a heading of that page; no page points outside the clone.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import t from 'tap'

const PAGES = ['README.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => join('docs', f))]

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor (heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replaceAll(' ', '-')
}

/** The anchors of a page's headings (outside fenced blocks). */
function anchors (page: string): Set<string> {
  const found = new Set<string>()
  let fenced = false
  for (const line of readFileSync(page, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const heading = /^#+ (.*)$/.exec(line)
    if (!fenced && heading?.[1] !== undefined) found.add(anchor(heading[1]))
  }
  return found
}

for (const page of PAGES) {
  t.test(`${page}: every link resolves inside the clone`, async (t) => {
    const text = readFileSync(page, 'utf8')
    t.notMatch(text, /\bshared\/(spec|DESIGN)/, 'names no file of the project outside the repository')
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (target === undefined || /^https?:/.test(target)) continue
      const [path, fragment] = target.split('#')
      const file = path === '' || path === undefined ? page : normalize(join(dirname(page), path))
      t.ok(existsSync(file), `${target}: ${file} exists`)
      if (fragment !== undefined && existsSync(file) && file.endsWith('.md')) t.ok(anchors(file).has(fragment), `${target}: ${file} has a heading #${fragment}`)
    }
  })
}
