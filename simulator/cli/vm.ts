// `cdp-sim vm start|stop VM_UUID`: whether a VM runs, which decides whether its volumes can
// be reverted.
import { switchCommand } from './switch-command.js'

export const vm = switchCommand({
  name: 'vm',
  summary: 'Start or stop a virtual machine',
  description: 'A running virtual machine\'s volumes are in use: revert refuses them (scode 4005).',
  collection: 'vms',
  field: 'running',
  actions: { start: true, stop: false },
  says: ['is running', 'is stopped']
})
