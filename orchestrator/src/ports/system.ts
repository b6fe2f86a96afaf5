/** What `doctor` needs to know about the machine, behind a port so checks are testable without it. */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (not installed). */
  error?: string;
}

export interface SystemProbe {
  exec(
    command: string,
    args: string[],
    opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number },
  ): Promise<ExecResult>;
  exists(path: string): Promise<boolean>;
  /** Free bytes on the filesystem holding `path` (or its nearest existing parent). */
  freeBytes(path: string): Promise<number>;
  /** Creates the folder if needed and proves a file can be written and removed there. */
  ensureWritableDir(path: string): Promise<{ ok: true } | { ok: false; reason: string }>;
}
