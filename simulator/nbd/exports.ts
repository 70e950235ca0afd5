// The exports an NBD server offers, by name. Withdrawing one revokes it: connections that
// opened it get errors from then on. With secret names on (the server has API tokens), a
// name is `<name>/<secret>`: the secret comes back from publish() for the control API to
// reveal, a name without the right secret is unknown, and NBD_OPT_LIST lists nothing.
// An export's device and revocation signal are made when a client first opens it: a server
// offers every volume of the cluster (100,000 in a large topology), and a device's closures
// with an AbortController cost about 2.4 KB each, where most exports are never opened.
// Exports that stand for the table's whole life (every volume) are not entries at all but a
// lookup, their secrets derived from the name by a key of this table: an entry each, even
// without a device, cost the server ~0.5 KB a volume (~50 MB at 100,000).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { BlockDevice } from './device.js'

export interface Export {
  readonly device: BlockDevice
  /** Aborted when the export is withdrawn. */
  readonly revoked: AbortSignal
}

/** A device, or what makes it when the export is first opened. */
export type DeviceSource = BlockDevice | (() => BlockDevice)

/** Exports offered from the table's start to its end, found by name rather than kept one by one. */
export interface StandingExports {
  /** What makes `name`'s device, or undefined when `name` is not one of them. */
  sourceOf: (name: string) => (() => BlockDevice) | undefined
  names: () => Iterable<string>
}

type Opened = Export & { controller: AbortController }

interface Entry {
  source: DeviceSource
  secret: Buffer | undefined
  opened?: Opened
}

/** A secret's length in hex digits: 16 random bytes. */
const SECRET_DIGITS = 32

function opening (source: DeviceSource): Opened {
  const controller = new AbortController()
  return { device: typeof source === 'function' ? source() : source, controller, revoked: controller.signal }
}

export class ExportTable {
  private readonly entries = new Map<string, Entry>()
  /** The standing exports a client has opened. */
  private readonly standingOpened = new Map<string, Opened>()
  /** Derives each standing export's secret: unguessable without it, as a random one is. */
  private readonly key = randomBytes(32)

  constructor (private readonly secretNames: boolean, private readonly standing?: StandingExports) {}

  private standingSecret (name: string): Buffer {
    return Buffer.from(createHmac('sha256', this.key).update(name).digest('hex').slice(0, SECRET_DIGITS))
  }

  /** Offers device as name (replacing and revoking any export of that name); answers the name a client must ask for. */
  publish (name: string, device: DeviceSource): string {
    this.withdraw(name)
    const secret = this.secretNames ? randomBytes(SECRET_DIGITS / 2).toString('hex') : undefined
    this.entries.set(name, { source: device, secret: secret === undefined ? undefined : Buffer.from(secret) })
    return this.nameOf(name) as string
  }

  /** The name a client must ask for to open `name`'s export (with its secret, when names carry one); undefined when it is not offered. */
  nameOf (name: string): string | undefined {
    const entry = this.entries.get(name)
    if (entry === undefined) {
      if (this.standing?.sourceOf(name) === undefined) return undefined
      return this.secretNames ? `${name}/${this.standingSecret(name).toString()}` : name
    }
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
    const { name, offered } = this.split(requested)
    const entry = this.entries.get(name)
    if (entry !== undefined) {
      if (this.secretNames && !matches(offered, entry.secret)) return undefined
      return (entry.opened ??= opening(entry.source))
    }
    if (this.secretNames && !matches(offered, this.standingSecret(name))) return undefined
    let opened = this.standingOpened.get(name)
    if (opened === undefined) {
      const source = this.standing?.sourceOf(name)
      if (source === undefined) return undefined
      opened = opening(source)
      this.standingOpened.set(name, opened)
    }
    return opened
  }

  /** A requested name as the export's name and the secret offered with it (with secret names on, after the last '/'). */
  private split (requested: string): { name: string, offered: string | undefined } {
    if (!this.secretNames) return { name: requested, offered: undefined }
    const slash = requested.lastIndexOf('/')
    return slash < 0 ? { name: '', offered: undefined } : { name: requested.slice(0, slash), offered: requested.slice(slash + 1) }
  }

  /** The names NBD_OPT_LIST reveals: none when names carry secrets. */
  listed (): string[] {
    return this.secretNames ? [] : [...this.standing?.names() ?? [], ...this.entries.keys()]
  }

  /** Revokes every export (the server is closing). */
  clear (): void {
    for (const name of [...this.entries.keys()]) this.withdraw(name)
    for (const opened of this.standingOpened.values()) opened.controller.abort()
    this.standingOpened.clear()
  }
}

/** Whether `offered` is `secret`, compared in constant time. */
function matches (offered: string | undefined, secret: Buffer | undefined): boolean {
  if (offered === undefined || secret === undefined) return false
  const bytes = Buffer.from(offered)
  return bytes.length === secret.length && timingSafeEqual(bytes, secret)
}
