// fixtures/group-topology.json: the demo topology and ken-db, a stopped VM of tenant ken
// with three 1 GiB disks (tests give data and log CDP, scratch none).
export const GROUP = {
  topology: 'fixtures/group-topology.json',
  vm: '6c1f0a3e-7b2d-4e9a-8f10-2d3c4b5a6978',
  data: '6c1f0a3e-0001-4e9a-8f10-2d3c4b5a6978',
  log: '6c1f0a3e-0002-4e9a-8f10-2d3c4b5a6978',
  scratch: '6c1f0a3e-0003-4e9a-8f10-2d3c4b5a6978'
} as const
