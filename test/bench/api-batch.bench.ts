// One edit of 1,000 volumes against 1,000 single-volume edits, over HTTP on 127.0.0.1,
// one request at a time. ratio = volumes/s of the batch ÷ volumes/s of the singles.
import { request } from 'undici'
import type { BenchResult } from './run.js'
import { CDP, listenApp } from './api-setup.js'
import { benchSimulator, seconds } from './sim-setup.js'

const VOLUMES = 1000

export async function run (): Promise<BenchResult> {
  const { sim, cluster, volumes } = await benchSimulator(VOLUMES)
  const app = await listenApp(sim)
  const edit = async (uuids: string[]) => {
    const res = await request(`${app.base}${CDP}/edit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        cdp_priority: 'high',
        reserve_capacity: 1 << 30,
        reserve_duration: 3600,
        volumes: uuids.map((uuid) => ({ cluster_uuid: cluster, volume_uuid: uuid }))
      })
    })
    const answer = await res.body.json() as { data: { success: number } }
    if (answer.data.success !== uuids.length) throw new Error('edit failed')
  }
  try {
    await edit(volumes.slice(0, 10)) // warm-up: first request compiles schemas
    let start = process.hrtime.bigint()
    await edit(volumes)
    const batchSeconds = seconds(start)
    start = process.hrtime.bigint()
    for (const uuid of volumes) await edit([uuid])
    const singlesSeconds = seconds(start)
    return {
      volumes: VOLUMES,
      batch_ms: Math.round(batchSeconds * 1000),
      singles_ms: Math.round(singlesSeconds * 1000),
      ratio: Number((singlesSeconds / batchSeconds).toFixed(2))
    }
  } finally {
    await app.close()
  }
}
