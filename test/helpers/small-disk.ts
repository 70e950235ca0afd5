// A real small file system for tests of a full disk: a tmpfs of a given size, mounted for the
// test and gone after it. Mounting needs root (as in CI); `SMALL_DISK_SKIP` says so elsewhere.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Teardown } from './app.js'

/** A test's `skip` option: false as root, else the reason. */
export const SMALL_DISK_SKIP: false | string = process.getuid?.() === 0 ? false : 'mounting a tmpfs needs root'

/** Mounts a tmpfs of `size` (mount's spelling, e.g. '4m') on a new directory, unmounted and removed at teardown. */
export function mountSmallDisk (t: Teardown, size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-small-disk-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  t.teardown(() => {
    execFileSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  return dir
}

/** Bytes an unprivileged writer may still put on the file system holding `dir`. */
export function freeBytes (dir: string): number {
  const { bavail, bsize } = statfsSync(dir)
  return bavail * bsize
}
