// GET /list — 卷cdp列表: a cluster's CDP volumes, paged, with how each range (namespace) fared.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { RangeState } from '../backend/port.js'
import { failed, succeeded } from '../envelope.js'
import { responses } from '../schemas/common.js'
import { CdpListData, CdpListQuery, printListItems } from '../schemas/list.js'
import type { CdpRouteOptions } from './options.js'
import { sendWithLongArray } from './long-array.js'

/** A range's `result` carries no data: "" on success (as in the spec) and on failure. */
function rangeResult ({ error }: RangeState) {
  return error === undefined ? succeeded('') : failed(error, '')
}

const list: FastifyPluginAsyncTypebox<CdpRouteOptions> = async (app, { backend }) => {
  app.get('/list', {
    schema: {
      operationId: 'cdpList',
      tags: ['cdp'],
      summary: 'A cluster\'s CDP volumes, paged, with how each range (namespace) fared',
      description: '卷cdp列表。page_num is 0-based; page_num=0&page_size=0 or both absent return everything. A range that failed carries its error envelope in each_range_list_state[].result and the other ranges still return.',
      'x-scodes': [],
      'x-result-scodes': ['AGENT_UNREACHABLE', 'AGENT_BAD_RESPONSE', 'AGENT_TIMEOUT', 'BACKEND_UNAVAILABLE'],
      querystring: CdpListQuery,
      response: responses(CdpListData, 'CdpListOutput')
    }
  }, async (request, reply) => {
    // Ajv has filled in the defaults of page_num and page_size by now.
    const { cluster_uuid: clusterUuid, tenant, filter_name: filterName, page_num: pageNum = 0, page_size: pageSize = 0 } = request.query
    const result = await backend.list({ cluster_uuid: clusterUuid, tenant, filter_name: filterName, page_num: pageNum, page_size: pageSize, print_list: true })
    // Up to everything the cluster has: sent so that nothing else waits on it.
    return await sendWithLongArray(reply, succeeded({
      TotalCount: result.TotalCount,
      List: [],
      each_range_list_state: result.each_range_list_state.map((range) => ({
        cluster_uuid: range.cluster_uuid,
        cluster_name: range.cluster_name,
        cluster_mode: range.cluster_mode,
        namespace_uuid: range.namespace_uuid,
        result: rangeResult(range),
        total_count: range.total_count
      }))
    }), { key: 'List', items: result.printed_list ?? result.List, print: printListItems })
  })
}

export default list
