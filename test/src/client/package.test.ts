// `volume-cdp/client` as a consumer gets it after `npm ci`: the prepare script builds the
// package (dist/ as npm test's pretest left it when it is current, else a build into a temp
// copy: a build is ~12 s of tsc), and a plain Node program and a type-checked TypeScript
// program import the client by the package's name, through package.json `exports`.
import { execFile, execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { distIsCurrent } from '../../../bin/dist.mjs'
import { DEMO, openTestApp } from '../../helpers/app.js'
import { bareNode } from '../../helpers/node-child.js'

const ROOT = resolve(import.meta.dirname, '../../..')
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc')

t.test('after the prepare step, volume-cdp/client imports by name in JS and in TS', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'volume-cdp-package-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  if (distIsCurrent()) symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'), 'dir')
  else execFileSync(...bareNode(['bin/prepare.mjs', '--outDir', join(dir, 'dist'), '--sourceMap', 'false']), { cwd: ROOT, stdio: 'pipe' })
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')

  const { app } = await openTestApp(t, { clockStart: 1630057893506590075n })
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  const volume = { cluster_uuid: DEMO.cluster, volume_uuid: DEMO.cdp1 }

  writeFileSync(join(dir, 'use.mjs'), `
import { CdpClient, CdpError } from 'volume-cdp/client'
const client = new CdpClient({ baseUrl: process.argv[2] })
await client.enable([${JSON.stringify(volume)}])
const info = await client.info(${JSON.stringify(volume)})
const missing = await client.info({ ...${JSON.stringify(volume)}, volume_uuid: '${DEMO.vol1}' }).catch((err) => err)
console.log(JSON.stringify({ time: String(info.cdp_info[0].snaps[0].time), type: typeof info.cdp_info[0].snaps[0].time, code: missing instanceof CdpError ? missing.code : String(missing) }))
`)
  // Not execFileSync: the server answering it runs in this process.
  const { stdout: out } = await promisify(execFile)(...bareNode(['use.mjs', baseUrl]), { cwd: dir, encoding: 'utf8' })
  t.strictSame(JSON.parse(out), { time: '1630057893506590075', type: 'bigint', code: 'CDP_NOT_FOUND' }, 'exact bigint times and typed scodes from the built package')

  writeFileSync(join(dir, 'use.ts'), `
import { CdpClient, type InfoData, type ScodeName } from 'volume-cdp/client'
const client = new CdpClient({ baseUrl: 'http://127.0.0.1:1', token: 't' })
export async function lastTime (): Promise<bigint | undefined> {
  const info: InfoData = await client.info({ cluster_uuid: '', volume_uuid: '' })
  return info.cdp_info[0]?.ioLastTime
}
export const code: ScodeName = 'VIEW_IS_ON'
// @ts-expect-error ns times are bigint, not number
export const wrong: number = (null as unknown as InfoData).cdp_info[0]!.ioLastTime
`)
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: [] },
    files: ['use.ts']
  }))
  t.doesNotThrow(() => execFileSync(...bareNode([TSC, '-p', 'tsconfig.json']), { cwd: dir, encoding: 'utf8' }), 'a TypeScript consumer type-checks against the exported declarations')
})
