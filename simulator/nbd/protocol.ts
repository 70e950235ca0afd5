// The NBD protocol's numbers (NetworkBlockDevice doc/proto.md), as this server uses them.
// Every field on the wire is big-endian.

export const NBDMAGIC = 0x4e42444d41474943n
export const IHAVEOPT = 0x49484156454f5054n
export const OPTION_REPLY_MAGIC = 0x3e889045565a9n
export const REQUEST_MAGIC = 0x25609513
export const SIMPLE_REPLY_MAGIC = 0x67446698
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef

/** Handshake flags (server) and client flags: the same two bits. */
export const FLAG_FIXED_NEWSTYLE = 1 << 0
export const FLAG_NO_ZEROES = 1 << 1

export const OPT = {
  EXPORT_NAME: 1,
  ABORT: 2,
  LIST: 3,
  STARTTLS: 5,
  INFO: 6,
  GO: 7,
  STRUCTURED_REPLY: 8,
  LIST_META_CONTEXT: 9,
  SET_META_CONTEXT: 10
} as const

const ERROR_BIT = 2 ** 31
export const REP = {
  ACK: 1,
  SERVER: 2,
  INFO: 3,
  META_CONTEXT: 4,
  ERR_UNSUP: ERROR_BIT + 1,
  ERR_POLICY: ERROR_BIT + 2,
  ERR_INVALID: ERROR_BIT + 3,
  ERR_UNKNOWN: ERROR_BIT + 6
} as const

export const INFO = { EXPORT: 0, NAME: 1, DESCRIPTION: 2, BLOCK_SIZE: 3 } as const

/** Transmission flags. */
export const TFLAG = {
  HAS_FLAGS: 1 << 0,
  READ_ONLY: 1 << 1,
  SEND_FLUSH: 1 << 2,
  SEND_FUA: 1 << 3,
  SEND_TRIM: 1 << 5,
  SEND_WRITE_ZEROES: 1 << 6,
  CAN_MULTI_CONN: 1 << 8
} as const

export const CMD = {
  READ: 0,
  WRITE: 1,
  DISC: 2,
  FLUSH: 3,
  TRIM: 4,
  WRITE_ZEROES: 6,
  BLOCK_STATUS: 7
} as const

/** Command flags. */
export const CMD_FLAG = { FUA: 1 << 0, NO_HOLE: 1 << 1, REQ_ONE: 1 << 3 } as const

export const REPLY_FLAG_DONE = 1 << 0
export const REPLY_TYPE = {
  NONE: 0,
  OFFSET_DATA: 1,
  BLOCK_STATUS: 5,
  ERROR: 2 ** 15 + 1
} as const

/** Error values a reply may carry; the protocol allows no others. */
export const ERRNO = {
  EPERM: 1,
  EIO: 5,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ESHUTDOWN: 108
} as const
export type Errno = typeof ERRNO[keyof typeof ERRNO]

/** base:allocation status flags. */
export const STATE_HOLE = 1 << 0
export const STATE_ZERO = 1 << 1
export const BASE_ALLOCATION = 'base:allocation'
/** The one metadata context this server offers has this id on every connection. */
export const BASE_ALLOCATION_ID = 1

/** The spec's limit on any string (export names among them). */
export const MAX_STRING = 4096
/** Option data longer than this is a denial of service, answered by hanging up. */
export const MAX_OPTION_DATA = 65536
/** The largest READ or WRITE payload served; clients learn it from NBD_INFO_BLOCK_SIZE. */
export const MAX_PAYLOAD = 32 * 1024 * 1024
