// Changed blocks (an extension beside the eight): the byte extents whose content differs
// between two recoverable points of a volume, merged, in offset order, paged by an opaque token.
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Uint64, Uint64Query } from './common.js'
import { InternalVolumeIdentifier } from './volume.js'

export const CHANGES_PAGE_SIZE = { default: 1000, max: 10000 } as const

export const CdpChangesQuery = Type.Object({
  ...InternalVolumeIdentifier.properties,
  from: Uint64Query('起始时间点（ns，须可恢复）'),
  to: Uint64Query('结束时间点（ns，须可恢复，不早于from）'),
  page_size: Type.Optional(Type.Integer({ minimum: 0, maximum: CHANGES_PAGE_SIZE.max, default: CHANGES_PAGE_SIZE.default, description: `每页最多区间数（1至${CHANGES_PAGE_SIZE.max}；0或不填为默认${CHANGES_PAGE_SIZE.default}）` })),
  page_token: Type.Optional(Type.String({ maxLength: 200, description: '上一页的next_page_token（首页不填）' }))
}, { title: 'CdpChangesQuery' })

export const ChangedExtent = Type.Object({
  offset: Uint64('起始字节偏移'),
  length: Uint64('长度（字节）')
}, { title: 'ChangedExtent', description: 'ChangedExtent对象：内容在from与to之间不同的一段连续字节' })
export type ChangedExtent = Static<typeof ChangedExtent>

export const CdpChangesData = Type.Object({
  extents: Type.Array(ChangedExtent, { description: '按偏移排序、已合并的区间' }),
  next_page_token: Type.String({ description: '下一页的令牌；最后一页为""' })
}, { title: 'CdpChangesData' })

/** What a backend answers for one page: extents from byte `start` on, and where the next page starts. */
export const ChangesPage = Type.Object({
  extents: Type.Array(ChangedExtent),
  next: Nullable(Uint64('下一页起始字节偏移（null：没有下一页）'))
}, { title: 'ChangesPage', description: 'ChangesPage对象: one page of changed extents as a backend answers it' })
export type ChangesPage = Static<typeof ChangesPage>
