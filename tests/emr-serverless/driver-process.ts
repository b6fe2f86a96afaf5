/**
 * The process that plays a run's Spark driver: the real local spark-submit, or a stand-in for the
 * `hang` behaviour. Each gets a process group of its own (detached), because spark-submit is a JVM
 * that starts a Python driver: cancelling must signal all of them, not just the launcher.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { DriverOutput } from './driver-logs.js';

export interface DriverExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface DriverProcess {
  pid: number;
  argv: string[];
  exited: Promise<DriverExit>;
  /** SIGTERM to the whole group, then SIGKILL after `graceMs` if anything of it is still there. */
  terminate(graceMs: number): void;
}

export function launchDriver(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; output: DriverOutput },
): DriverProcess {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (d: Buffer) => opts.output.append('stdout', d));
  child.stderr.on('data', (d: Buffer) => opts.output.append('stderr', d));
  const exited = new Promise<DriverExit>((resolveExit) => {
    // 'close' (not 'exit'): the output streams are drained by then, so the final log is complete.
    child.on('close', (code, signal) => resolveExit({ code, signal }));
    child.on('error', (e) => {
      opts.output.append('stderr', `emulator: could not start ${command}: ${e.message}\n`);
      resolveExit({ code: 127, signal: null });
    });
  });
  const pid = child.pid ?? -1;
  let killTimer: NodeJS.Timeout | undefined;
  void exited.then(() => clearTimeout(killTimer));
  return {
    pid,
    argv: [command, ...args],
    exited,
    terminate(graceMs) {
      signalGroup(pid, 'SIGTERM');
      clearTimeout(killTimer);
      killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      killTimer.unref();
    },
  };
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  if (pgid <= 0) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/**
 * The live (non-zombie) pids of process group `pgid`, from /proc. Zombies do not count: where pid 1
 * does not reap orphans (some containers), a dead JVM child can linger as one indefinitely.
 */
export function liveProcessesInGroup(pgid: number): number[] {
  const live: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // After the last ')' (the command name may contain spaces): state ppid pgrp …
      const fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(')').pop()!.trim().split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') live.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return live;
}

/** A driver stand-in that prints one line and then idles until it is signalled. */
export function standInArgs(line: string): string[] {
  return ['-e', `process.stdout.write(${JSON.stringify(`${line}\n`)}); setInterval(() => {}, 1 << 30);`];
}
