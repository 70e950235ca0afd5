// The exports an NBD server offers, by name. Withdrawing one revokes it: connections that
// opened it get errors from then on. With secret names on (the server has API tokens), a
// name is `<name>/<secret>`: the secret comes back from publish() for the control API to
// reveal, a name without the right secret is unknown, and NBD_OPT_LIST lists nothing.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { BlockDevice } from './device.js'

export interface Export {
  readonly device: BlockDevice
  /** Aborted when the export is withdrawn. */
  readonly revoked: AbortSignal
}

interface Entry extends Export {
  secret: Buffer | undefined
  controller: AbortController
}

export class ExportTable {
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly secretNames: boolean) {}

  /** Offers device as name (replacing and revoking any export of that name); answers the name a client must ask for. */
  publish (name: string, device: BlockDevice): string {
    this.withdraw(name)
    const controller = new AbortController()
    const secret = this.secretNames ? randomBytes(16).toString('hex') : undefined
    this.entries.set(name, {
      device,
      controller,
      revoked: controller.signal,
      secret: secret === undefined ? undefined : Buffer.from(secret)
    })
    return secret === undefined ? name : `${name}/${secret}`
  }

  withdraw (name: string): void {
    const entry = this.entries.get(name)
    if (entry === undefined) return
    this.entries.delete(name)
    entry.controller.abort()
  }

  /** The export a client's name opens, if any. */
  open (requested: string): Export | undefined {
    if (!this.secretNames) return this.entries.get(requested)
    const slash = requested.lastIndexOf('/')
    if (slash < 0) return undefined
    const entry = this.entries.get(requested.slice(0, slash))
    const offered = Buffer.from(requested.slice(slash + 1))
    if (entry?.secret === undefined || offered.length !== entry.secret.length) return undefined
    return timingSafeEqual(offered, entry.secret) ? entry : undefined
  }

  /** The names NBD_OPT_LIST reveals: none when names carry secrets. */
  listed (): string[] {
    return this.secretNames ? [] : [...this.entries.keys()]
  }

  /** Revokes every export (the server is closing). */
  clear (): void {
    for (const name of [...this.entries.keys()]) this.withdraw(name)
  }
}
