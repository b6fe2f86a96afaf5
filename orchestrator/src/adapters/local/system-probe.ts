/** SystemProbe over the real machine: child processes, statfs, a write test in the folder. */
import { execFile } from 'node:child_process';
import { access, mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ExecResult, SystemProbe } from '../../ports/system.js';

export class LocalSystemProbe implements SystemProbe {
  exec(
    command: string,
    args: string[],
    opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): Promise<ExecResult> {
    return new Promise((resolve) => {
      execFile(
        command,
        args,
        {
          env: { ...process.env, ...opts.env },
          timeout: opts.timeoutMs ?? 30_000,
          maxBuffer: 4 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
          if (e && typeof e.code === 'string') {
            resolve({
              code: null,
              stdout: String(stdout),
              stderr: String(stderr),
              error: e.code === 'ENOENT' ? 'not installed' : e.message,
            });
            return;
          }
          resolve({
            code: e ? (typeof e.code === 'number' ? e.code : 1) : 0,
            stdout: String(stdout),
            stderr: String(stderr),
          });
        },
      );
    });
  }

  async exists(path: string): Promise<boolean> {
    try {
      await access(path);
      return true;
    } catch {
      return false;
    }
  }

  async freeBytes(path: string): Promise<number> {
    let p = path;
    for (;;) {
      try {
        const s = await statfs(p);
        return s.bavail * s.bsize;
      } catch {
        const parent = dirname(p);
        if (parent === p) return 0;
        p = parent;
      }
    }
  }

  async ensureWritableDir(path: string): Promise<{ ok: true } | { ok: false; reason: string }> {
    try {
      await mkdir(path, { recursive: true });
      const probe = join(path, `.doctor-${process.pid}`);
      await writeFile(probe, 'ok');
      await rm(probe);
      return { ok: true };
    } catch (e) {
      return { ok: false, reason: (e as Error).message };
    }
  }
}
