// GET /changes — extension: the byte extents whose content differs between two recoverable
// points of a volume, merged and ordered, paged by an opaque token. The token carries the
// query's two points and where the next page starts, so any API replica answers any page.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ns } from '../backend/port.js'
import { succeeded } from '../envelope.js'
import { CdpError } from '../errors.js'
import { toUint64, UINT64_MAX } from '../json.js'
import { CdpChangesData, CdpChangesQuery, CHANGES_PAGE_SIZE } from '../schemas/changes.js'
import { responses } from '../schemas/common.js'
import type { CdpRouteOptions } from './options.js'
import { toVolumeRef } from './volume-ref.js'

interface Points { from: Ns, to: Ns }

const TOKEN = /^c1\.([0-9]{1,20})\.([0-9]{1,20})\.([0-9]{1,20})$/

export function pageToken ({ from, to }: Points, start: bigint): string {
  return Buffer.from(`c1.${from}.${to}.${start}`).toString('base64url')
}

/** Where the page a token names starts; a token of another query (or none of ours) is INVALID_PAGE_TOKEN. */
export function pageStart (token: string, { from, to }: Points): bigint {
  const match = TOKEN.exec(Buffer.from(token, 'base64url').toString('latin1'))
  if (match === null) throw new CdpError('INVALID_PAGE_TOKEN', 'not a page_token of changes')
  if (BigInt(match[1] as string) !== from || BigInt(match[2] as string) !== to) {
    throw new CdpError('INVALID_PAGE_TOKEN', 'the page_token was issued for other from/to')
  }
  const start = BigInt(match[3] as string)
  if (start > UINT64_MAX) throw new CdpError('INVALID_PAGE_TOKEN', 'not a page_token of changes')
  return start
}

const changes: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend }) => {
  app.get('/changes', {
    schema: {
      operationId: 'cdpChanges',
      tags: ['extensions'],
      summary: 'The byte extents whose content differs between two recoverable points of a volume',
      description: '卷cdp变化块。Merged extents in offset order, in bytes; a block written and then rewritten to its old content does not count. Cost follows the journal between the two points. page_token: the previous page\'s next_page_token ("" or absent for the first page); next_page_token "" on the last page.',
      'x-scodes': ['INVALID_UINT64', 'CHANGES_FROM_AFTER_TO', 'INVALID_PAGE_TOKEN', 'VOLUME_NOT_FOUND', 'CDP_NOT_FOUND', 'POINT_NOT_RECOVERABLE', 'AGENT_OPERATION_UNSUPPORTED'],
      querystring: CdpChangesQuery,
      response: responses(CdpChangesData, 'CdpChangesOutput')
    }
  }, async (request) => {
    const { from, to, page_size: size, page_token: token, ...volume } = request.query
    const limit = size === undefined || size === 0 ? CHANGES_PAGE_SIZE.default : size // 0: a typed client's unset field
    const points = { from: toUint64(from, 'from'), to: toUint64(to, 'to') }
    const start = token === undefined ? 0n : pageStart(token, points)
    const page = await backend.changes(toVolumeRef(volume), { ...points, start, limit })
    return succeeded({ extents: page.extents, next_page_token: page.next === null ? '' : pageToken(points, page.next) })
  })
}

export default changes
