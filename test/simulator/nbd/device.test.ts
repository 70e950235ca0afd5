// A device's refusal: an Error that carries the NBD error value the server answers with,
// beside its message.
import t from 'tap'
import { NbdError } from '../../../simulator/nbd/device.js'
import { ERRNO } from '../../../simulator/nbd/protocol.js'

t.test("a device's refusal is an Error with its message and the NBD error value to answer", async (t) => {
  const error = new NbdError(ERRNO.EPERM, 'a view is read-only')
  t.ok(error instanceof Error)
  t.ok(error instanceof NbdError)
  t.equal(error.message, 'a view is read-only')
  t.equal(error.errno, 1, 'EPERM is 1')
  t.equal(new NbdError(ERRNO.EIO, 'io').errno, 5, 'EIO is 5')
  t.match(error.stack, /a view is read-only/)
})
