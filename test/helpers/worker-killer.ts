// Preloaded with --import into a server process: SIGUSR2 terminates every worker thread the
// process has talked to, as a fatal error in the thread would end it, so a test can see what
// the process does when its simulator dies.
import { Worker } from 'node:worker_threads'

const workers = new Set<Worker>()
const post = Worker.prototype.postMessage
Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
  // Only the process's own workers: Node's loader-hooks thread (tsx runs there) is a subclass,
  // and ending it ends the process with 1 whatever the process does about its simulator.
  if (Object.getPrototypeOf(this) === Worker.prototype) workers.add(this)
  post.apply(this, args)
}
process.on('SIGUSR2', () => {
  for (const worker of workers) void worker.terminate()
})
