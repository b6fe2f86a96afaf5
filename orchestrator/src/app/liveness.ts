/**
 * Is the process that wrote a record (a lease, a run's command.json) still there? Only answerable on
 * the host that wrote it: elsewhere the answer is "can't tell", and callers fall back on time (a
 * lease's expiry) or report the run as still running.
 */
import { hostname } from 'node:os';

/** This process, as records name their writer. */
export function self(): { host: string; pid: number } {
  return { host: hostname(), pid: process.pid };
}

/** True when the writer ran on this host and its pid is gone (a crash, SIGKILL, a reboot). */
export function writerGone(writer: { host?: unknown; pid?: unknown }): boolean {
  return writer.host === hostname() && typeof writer.pid === 'number' && !processAlive(writer.pid);
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
