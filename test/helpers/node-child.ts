// Child processes of a test, without the test runner's per-process hooks. tap's processinfo
// puts its --import into NODE_OPTIONS of every process a test spawns (to track and cover it),
// whatever env the spawn passes; in a Node child it more than doubles the start (cdp-sim:
// 0.5 s → 1.2 s) and slows every module load. `env -u` drops it once that hook has run, then
// execs the command in its own place: the child's pid is the command's, so signals reach it.

/** The command and arguments that run `command ...args` without the runner's hooks. */
export function withoutRunnerHooks (command: string, args: readonly string[]): [command: string, args: string[]] {
  return ['env', ['-u', 'NODE_OPTIONS', command, ...args]]
}

/** `node ...args` without the runner's hooks. */
export function bareNode (args: readonly string[]): [command: string, args: string[]] {
  return withoutRunnerHooks(process.execPath, args)
}
