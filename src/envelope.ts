// The envelope every response travels in: {scode, desc, message, message_cn, stack, data}.
// `stack` is never filled in: internals stay in the log, not in the body.
import { type CdpError, SUCCESS } from './errors.js'

export interface Envelope<T> {
  scode: number
  desc: string
  message: string
  message_cn: string
  stack: null
  data: T
}

export function succeeded<T> (data: T): Envelope<T> {
  // Written out rather than spread from SUCCESS: V8 builds a spread-then-more object slowly.
  return { scode: SUCCESS.scode, desc: '', message: SUCCESS.message, message_cn: SUCCESS.message_cn, stack: null, data }
}

export function failed<T> (error: CdpError, data: T): Envelope<T> {
  const { scode, message, message_cn: messageCn } = error.entry
  return { scode, desc: error.desc, message, message_cn: messageCn, stack: null, data }
}
