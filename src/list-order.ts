// The list's order: volume name, then uuid, each compared code point by code point. That is
// SQLite's binary collation on UTF-8, so the simulator's SQL, its name index and the API's
// merge of several agents' pages all put volumes in one order.

/** A volume's place in the list. */
export interface ListKey { volume_name: string, volume_uuid: string }

/**
 * Code point order without splitting strings: UTF-16 code units order the same as code
 * points except that surrogates (U+D800–DFFF, which encode code points above U+FFFF) must
 * sort after U+E000–FFFF; the first differing unit is shifted accordingly.
 */
export function compareCodePoints (a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return unitRank(x) - unitRank(y)
  }
  return a.length - b.length
}

function unitRank (unit: number): number {
  if (unit >= 0xE000) return unit - 0x800
  if (unit >= 0xD800) return unit + 0x2000
  return unit
}

export function compareListKeys (a: ListKey, b: ListKey): number {
  return compareCodePoints(a.volume_name, b.volume_name) || compareCodePoints(a.volume_uuid, b.volume_uuid)
}
