// The one check of a URL given for an HTTP peer (an agent in the routing file, the client's
// base URL, a cdp-sim tool's --url): it parses and its scheme is http: or https:. What else a
// caller requires of it (no credentials, no query) that caller checks on the URL answered.
// The messages never repeat the text, which may hold a password.

/** `text` as an http: or https: URL; else an Error saying which of the two it failed. */
export function httpUrl (text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error('not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.protocol} must be http: or https:`)
  return url
}
