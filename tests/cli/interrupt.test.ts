import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../orchestrator/src/domain/errors.js';
import { CLI, tempDir } from '../helpers.js';

describe('Ctrl-C', () => {
  it('stops a long sample cleanly: exit 130, INTERRUPTED, no output and no temp file left', async () => {
    const cwd = tempDir();
    const child = spawn(
      process.execPath,
      [
        CLI,
        '--log-level',
        'warn',
        'sample',
        '--dataset',
        'general',
        '--year',
        '2023',
        '--rows',
        '5000000',
        '--out',
        'big.csv',
      ],
      { cwd },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // Wait until the temp file exists, i.e. the write is under way, then interrupt.
    for (let i = 0; i < 100 && !readdirSync(cwd).some((f) => f.startsWith('.tmp-')); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(readdirSync(cwd).some((f) => f.startsWith('.tmp-'))).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(EXIT_CODES.interrupted.code);
    expect(stderr).toContain('error [INTERRUPTED]');
    expect(readdirSync(cwd)).toEqual([]);
  });
});
