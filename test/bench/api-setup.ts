// What the API benchmarks share: an app listening on 127.0.0.1, a bare Fastify route that
// serves the same bytes (the ceiling for one route on this machine), and one autocannon run.
import autocannon from 'autocannon'
import Fastify from 'fastify'
import { buildApp } from '../../src/app.js'
import type { Simulator } from '../../simulator/index.js'

export const CDP = '/v1/volume/internal/cdp'
const CONNECTIONS = 50
const DURATION_SECONDS = 5

export async function listenApp (sim: Simulator): Promise<{ base: string, close: () => Promise<void> }> {
  const app = await buildApp({ backend: sim })
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  return { base, close: () => app.close() }
}

/** A route with nothing behind it, answering `body` as JSON. */
export async function listenBare (body: string): Promise<{ base: string, close: () => Promise<void> }> {
  const bare = Fastify()
  bare.get('/bare', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body))
  const base = await bare.listen({ host: '127.0.0.1', port: 0 })
  return { base: `${base}/bare`, close: () => bare.close() }
}

/** Requests per second (mean) over one run; non-2xx answers fail the benchmark. */
export async function requestsPerSecond (url: string): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_SECONDS })
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  return Math.round(result.requests.average)
}

/** The subject against the bare route returning the same bytes. */
export async function againstBare (sim: Simulator, path: string): Promise<{ rps: number, bare_rps: number, bytes: number, ratio: number }> {
  const app = await listenApp(sim)
  try {
    const body = await (await fetch(`${app.base}${path}`)).text()
    const bare = await listenBare(body)
    try {
      const rps = await requestsPerSecond(`${app.base}${path}`)
      const bareRps = await requestsPerSecond(bare.base)
      return { rps, bare_rps: bareRps, bytes: Buffer.byteLength(body), ratio: Number((rps / bareRps).toFixed(3)) }
    } finally {
      await bare.close()
    }
  } finally {
    await app.close()
  }
}
