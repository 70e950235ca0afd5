// How list's filter_name compares text: case-insensitively by full Unicode case folding, on
// NFKC-normalised text. So NFC "café" finds an NFD name, "école" finds "ÉCOLE-vol", "σοφια"
// finds "ΣΟΦΙΑ-disk", "strasse" finds "Straße", and compatibility forms are one with their
// plain letters ("full" finds "ＦＵＬＬwidth", "fi" finds "ﬁle"). Both backends and every
// agent fold names and filters with this one function.

/**
 * JavaScript has no casefold(); lower → upper → lower puts every code point in the class
 * full case folding puts it in (compared code point by code point with Python's
 * str.casefold: ß, ẞ → ss; ſ → s; µ → μ; ϐ → β), except that toLowerCase writes a
 * word-final Σ as ς, which folding writes σ.
 */
function caseFold (text: string): string {
  return text.toLowerCase().toUpperCase().toLowerCase().replaceAll('ς', 'σ')
}

export function foldForSearch (text: string): string {
  // Folding can undo a normalisation (a capital with a dot above becomes i + U+0307): normalise after too.
  return caseFold(text.normalize('NFKC')).normalize('NFKC')
}
