// filter_name's comparison: full Unicode case folding on NFKC-normalised text.
import fc from 'fast-check'
import t from 'tap'
import { foldForSearch } from '../../src/search-fold.js'

t.test('names with non-ASCII capitals fold to what their small letters fold to', async (t) => {
  for (const [text, folded] of [
    ['ÉCOLE-vol', 'école-vol'],
    ['ΣΟΦΙΑ-disk', 'σοφια-disk'],
    ['ΟΔΟΣ', 'οδοσ'], // a word-final capital sigma folds to σ, not to the final form ς
    ['οδος', 'οδοσ'],
    ['Straße', 'strasse'],
    ['STRAẞE', 'strasse'],
    ['ſ', 's'],
    ['µ', 'μ'],
    ['ǅ', 'dž'], // a titlecase digraph: NFKC writes it as its two letters
    ['Ꭰ', 'ꭰ'] // Cherokee: one class with its small letter, whichever of the two is written
  ] as const) {
    t.equal(foldForSearch(text), folded, text)
  }
})

t.test('NFC and NFD spellings of one name fold alike', async (t) => {
  t.equal(foldForSearch('caf\u00e9'), foldForSearch('cafe\u0301'))
  t.equal(foldForSearch('\u00c5ngstr\u00f6m'), foldForSearch('A\u030angstro\u0308m'))
})

t.test('compatibility forms fold to their plain letters', async (t) => {
  t.equal(foldForSearch('ＦＵＬＬwidth'), 'fullwidth')
  t.equal(foldForSearch('ｆｕｌｌ'), 'full')
  t.equal(foldForSearch('ﬁle'), 'file')
  t.equal(foldForSearch('Ⅻ'), 'xii')
})

t.test('accents are kept: folding is about case, not about letters', async (t) => {
  t.not(foldForSearch('école'), foldForSearch('ecole'))
})

t.test('folding is idempotent and blind to case (any text)', async () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => {
    const folded = foldForSearch(text)
    return foldForSearch(folded) === folded &&
      foldForSearch(text.toUpperCase()) === folded &&
      foldForSearch(text.toLowerCase()) === folded
  }), { numRuns: 2000 })
})
