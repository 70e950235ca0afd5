// `cdp-sim host offline|online HOST_UUID`: the fault of a storage host going away and back.
import { switchCommand } from './switch-command.js'

export const host = switchCommand({
  name: 'host',
  summary: 'Take a storage host offline or bring it back online',
  description: [
    'The journal segments on an offline host\'s CDP disks report online: false in info and',
    'cannot be viewed or reverted to, until the host is online again.'
  ].join('\n'),
  collection: 'hosts',
  field: 'online',
  actions: { offline: false, online: true },
  says: ['is online', 'is offline']
})
