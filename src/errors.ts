// The one catalogue of failures. Every failure a client can see has a stable numeric scode,
// an English and a Chinese message, and the HTTP status that says its class. Codes are
// grouped by class in thousands; never renumber one that has shipped.

export interface ScodeEntry {
  readonly scode: number
  readonly status: number
  readonly message: string
  readonly message_cn: string
}

function entry (scode: number, status: number, message: string, messageCn: string): ScodeEntry {
  return { scode, status, message, message_cn: messageCn }
}

export const Scode = {
  // -- request shape (400, 413, 415) --
  INVALID_JSON: entry(1001, 400, 'request body is not valid JSON', '请求体不是合法的JSON'),
  INVALID_PARAMETER: entry(1002, 400, 'invalid request parameter', '请求参数不合法'),
  MISSING_PARAMETER: entry(1003, 400, 'required parameter is missing', '缺少必填参数'),
  INVALID_UUID: entry(1004, 400, 'malformed uuid', 'uuid格式不正确'),
  INVALID_UINT64: entry(1005, 400, 'value is not an unsigned 64-bit integer', '数值不是合法的uint64'),
  TOO_MANY_VOLUMES: entry(1006, 400, 'too many volumes in one request', '单次请求的卷数量过多'),
  UNSUPPORTED_MEDIA_TYPE: entry(1007, 415, 'content type must be application/json', '请求内容类型必须为application/json'),
  BODY_TOO_LARGE: entry(1008, 413, 'request body is too large', '请求体过大'),
  INVALID_WRITE: entry(1009, 400, 'write must be 4096-byte aligned and inside the volume', '写入必须按4096字节对齐且不超出卷大小'),
  RESERVE_CAPACITY_TOO_SMALL: entry(1030, 400, 'reserve_capacity must hold at least one 4096-byte block', 'reserve_capacity至少为一个4096字节块'),
  RESERVE_DURATION_TOO_SHORT: entry(1031, 400, 'reserve_duration must be at least 1 second', 'reserve_duration至少为1秒'),
  ROUTE_NOT_FOUND: entry(1010, 404, 'no such endpoint', '接口不存在'),
  METHOD_NOT_ALLOWED: entry(1011, 405, 'method not allowed on this endpoint', '该接口不支持此请求方法'),
  GROUP_MEMBER_MISMATCH: entry(1090, 400, 'each volume of a group must name the group\'s cluster_uuid and tenant, once', '组内每个卷须与组的cluster_uuid和tenant一致且不重复'),
  GROUP_NEEDS_MEMBERS: entry(1091, 400, 'name the group by volumes or by vm_uuid, one of the two', '须以volumes或vm_uuid之一指定卷组'),
  CHANGES_FROM_AFTER_TO: entry(1092, 400, 'from must not be after to', 'from不能晚于to'),
  INVALID_PAGE_TOKEN: entry(1093, 400, 'page_token is not one this query issued', 'page_token无效或不属于本次查询'),
  RANGE_NOT_SATISFIABLE: entry(1040, 416, 'Range must be one bytes=first-last range inside the image', 'Range必须是镜像范围内的单个bytes=起始-结束区间'),
  // the simulator's test harness (/sim/v1)
  FAULT_NOT_FOUND: entry(1050, 404, 'no fault rule with that id', '故障规则不存在'),
  INVALID_STATE_FILE: entry(1051, 400, 'not a usable simulator state file', '模拟器状态文件不可用'),
  TOPOLOGY_FIXED: entry(1060, 400, 'a cluster of agents keeps the topology it started with', '代理集群沿用启动时的拓扑，不能更换'),

  // -- the connection, before any route is chosen (400, 408, 431, 503) --
  MALFORMED_REQUEST: entry(1012, 400, 'malformed HTTP request', 'HTTP请求格式错误'),
  REQUEST_TIMEOUT: entry(1013, 408, 'the request did not arrive in time', '请求未在规定时间内到达'),
  HEADERS_TOO_LARGE: entry(1014, 431, 'request headers or URL too large', '请求头或URL过大'),
  TOO_MANY_CONNECTIONS: entry(1015, 503, 'too many connections: try again later', '连接数已达上限，请稍后重试'),

  // -- authentication (401, 403) --
  UNAUTHORIZED: entry(2001, 401, 'missing or invalid bearer token', '缺少或无效的访问令牌'),
  FORBIDDEN: entry(2002, 403, 'token may not act on this tenant', '令牌无权操作该租户'),
  ENDPOINT_FORBIDDEN: entry(2003, 403, 'token may not use this endpoint', '令牌无权调用该接口'),

  // -- missing things (404) --
  CLUSTER_NOT_FOUND: entry(3001, 404, 'cluster not found', '集群不存在'),
  VOLUME_NOT_FOUND: entry(3002, 404, 'volume not found', '卷不存在'),
  CDP_NOT_FOUND: entry(3003, 404, 'volume has no CDP', '卷未配置CDP'),
  SEGMENT_NOT_FOUND: entry(3004, 404, 'CDP journal segment not found', 'CDP日志段不存在'),
  SNAPSHOT_NOT_FOUND: entry(3005, 404, 'CDP snapshot not found', 'CDP快照不存在'),
  VIEW_NOT_FOUND: entry(3006, 404, 'volume has no CDP view', '卷没有CDP查看'),
  HOST_NOT_FOUND: entry(3007, 404, 'host not found', '主机不存在'),
  VM_NOT_FOUND: entry(3008, 404, 'virtual machine not found', '虚拟机不存在'),
  // Numbered with the disk-fault codes (the simulator's disk faults took 4040–4044).
  DISK_NOT_FOUND: entry(4041, 404, 'CDP disk not found on that host', '该主机上不存在此CDP盘'),

  // -- state conflicts (409) --
  CDP_IS_ON: entry(4001, 409, 'CDP is on: disable it first', 'CDP处于启用状态，请先停用'),
  SEGMENT_ACTIVE: entry(4002, 409, 'segment is the active journal segment', '该日志段正在使用中'),
  VIEW_ALREADY_ON: entry(4003, 409, 'volume already has a CDP view', '卷已存在CDP查看'),
  VIEW_IS_ON: entry(4004, 409, 'volume has a CDP view on: turn it off first', '卷存在CDP查看，请先关闭'),
  VOLUME_IN_USE: entry(4005, 409, 'volume is in use by a running virtual machine', '卷正被运行中的虚拟机使用'),
  POINT_NOT_RECOVERABLE: entry(4006, 409, 'time is outside the recoverable window', '时间点不在可恢复范围内'),
  SNAPSHOT_NOT_BASE: entry(4007, 409, 'snapshot is not a base of that time', '快照不是该时间点的基准快照'),
  SEGMENT_OFFLINE: entry(4008, 409, 'the CDP disk holding that time is offline', '承载该时间点的CDP盘不在线'),
  INSUFFICIENT_CDP_CAPACITY: entry(4009, 409, 'no CDP disk has room for that reserve_capacity', 'CDP盘剩余空间不足'),
  CLOCK_NOT_MANUAL: entry(4010, 409, 'the simulator clock is not manual', '模拟器时钟不是手动模式'),
  TENANT_QUOTA_EXCEEDED: entry(4011, 409, "reserve_capacity exceeds the tenant's CDP quota", '超出租户的CDP配额'),
  GROUP_NOT_APPLIED: entry(4050, 409, 'not changed: another volume of the group refused', '未执行：组内其他卷拒绝了该操作'),
  GROUP_SPANS_AGENTS: entry(4051, 409, 'the volumes of a group must be served by one node agent', '卷组内的卷必须由同一个节点代理管理'),
  CDP_IS_OFF: entry(4030, 409, 'CDP is off: its journal records nothing', 'CDP处于停用状态，日志不记录'),
  DISK_FAULTY: entry(4040, 409, 'the CDP disk has failed or is full: its journal cannot record', 'CDP盘故障或已满，日志无法记录'),

  // -- backend trouble (500, 502, 503, 504) --
  INTERNAL: entry(5001, 500, 'internal error', '内部错误'),
  AGENT_UNREACHABLE: entry(5002, 502, 'node agent unreachable', '节点代理无法连接'),
  AGENT_BAD_RESPONSE: entry(5003, 502, 'node agent sent an invalid response', '节点代理返回了无效响应'),
  AGENT_TIMEOUT: entry(5004, 504, 'node agent did not answer in time', '节点代理响应超时'),
  BACKEND_UNAVAILABLE: entry(5005, 503, 'backend unavailable', '后端服务不可用'),
  STORAGE_FULL: entry(5020, 507, 'the storage holding CDP state is full: nothing was changed', '存储CDP状态的磁盘已满，未做任何更改'),
  AGENT_OPERATION_UNSUPPORTED: entry(5030, 501, 'the node agent does not support this operation', '节点代理不支持该操作'),
  // the simulator's worker thread (simulator/worker-client.ts)
  SIMULATOR_BUSY: entry(5050, 503, 'the simulator did not answer in time: busy with a long call, or stuck', '模拟器未及时应答：正忙于耗时调用或已卡住'),
  SIMULATOR_STOPPED: entry(5051, 503, 'the simulator has stopped: the service is restarting', '模拟器已停止，服务正在重启')
} as const satisfies Record<string, ScodeEntry>

export type ScodeName = keyof typeof Scode

export const SUCCESS = { scode: 0, message: 'success', message_cn: '成功' } as const

/** A failure as a value: its catalogue entry plus a detail (`desc`) that names what went wrong. */
export class CdpError extends Error {
  readonly code: ScodeName
  readonly desc: string

  constructor (code: ScodeName, desc = '') {
    super(`${Scode[code].message}${desc === '' ? '' : `: ${desc}`}`)
    this.name = 'CdpError'
    this.code = code
    this.desc = desc
  }

  get entry (): ScodeEntry {
    return Scode[this.code]
  }
}

export function isCdpError (value: unknown): value is CdpError {
  return value instanceof CdpError
}

const byScode = new Map<number, ScodeName>(
  (Object.keys(Scode) as ScodeName[]).map((name) => [Scode[name].scode, name])
)

/** The catalogue name for a numeric scode, as carried by an agent's reply. */
export function scodeName (scode: number): ScodeName | undefined {
  return byScode.get(scode)
}
