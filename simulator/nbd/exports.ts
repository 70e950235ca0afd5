// The exports an NBD server offers, by name. Withdrawing one revokes it: connections that
// opened it get errors from then on. With secret names on (the server has API tokens), a
// name is `<name>/<secret>`: the secret comes back from publish() for the control API to
// reveal, a name without the right secret is unknown, and NBD_OPT_LIST lists nothing.
// An export's device and revocation signal are made when a client first opens it: a server
// offers every volume of the cluster (100,000 in a large topology), and a device's closures
// with an AbortController cost about 2.4 KB each, where most exports are never opened.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { BlockDevice } from './device.js'

export interface Export {
  readonly device: BlockDevice
  /** Aborted when the export is withdrawn. */
  readonly revoked: AbortSignal
}

/** A device, or what makes it when the export is first opened. */
export type DeviceSource = BlockDevice | (() => BlockDevice)

interface Entry {
  source: DeviceSource
  secret: Buffer | undefined
  opened?: Export & { controller: AbortController }
}

export class ExportTable {
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly secretNames: boolean) {}

  /** Offers device as name (replacing and revoking any export of that name); answers the name a client must ask for. */
  publish (name: string, device: DeviceSource): string {
    this.withdraw(name)
    const secret = this.secretNames ? randomBytes(16).toString('hex') : undefined
    this.entries.set(name, { source: device, secret: secret === undefined ? undefined : Buffer.from(secret) })
    return this.nameOf(name) as string
  }

  /** The name a client must ask for to open `name`'s export (with its secret, when names carry one); undefined when it is not offered. */
  nameOf (name: string): string | undefined {
    const entry = this.entries.get(name)
    if (entry === undefined) return undefined
    return entry.secret === undefined ? name : `${name}/${entry.secret.toString()}`
  }

  withdraw (name: string): void {
    const entry = this.entries.get(name)
    if (entry === undefined) return
    this.entries.delete(name)
    entry.opened?.controller.abort()
  }

  /** The export a client's name opens, if any. */
  open (requested: string): Export | undefined {
    const entry = this.entryFor(requested)
    if (entry === undefined) return undefined
    if (entry.opened === undefined) {
      const controller = new AbortController()
      const device = typeof entry.source === 'function' ? entry.source() : entry.source
      entry.opened = { device, controller, revoked: controller.signal }
    }
    return entry.opened
  }

  private entryFor (requested: string): Entry | undefined {
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
