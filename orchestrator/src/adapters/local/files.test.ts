import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OrchestratorError } from '../../domain/errors.js';
import { outputWriteError, writeFileAtomic } from './files.js';

const dir = () => mkdtempSync(join(tmpdir(), 'op-files-'));

describe('writeFileAtomic', () => {
  it('creates folders, writes the bytes and leaves no temp file', async () => {
    const d = dir();
    const path = join(d, 'a', 'b', 'c.json');
    await writeFileAtomic(path, '{"x":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"x":1}\n');
    expect(readdirSync(join(d, 'a', 'b'))).toEqual(['c.json']);
  });

  it('replaces an existing file whole', async () => {
    const path = join(dir(), 'f.txt');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, 'new');
    expect(readFileSync(path, 'utf8')).toBe('new');
  });

  it('fails with OUTPUT_NOT_WRITABLE under a regular file, leaving it untouched', async () => {
    const d = dir();
    writeFileSync(join(d, 'plain'), 'keep');
    const err = await writeFileAtomic(join(d, 'plain', 'f.json'), 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrchestratorError);
    expect((err as OrchestratorError).code).toBe('OUTPUT_NOT_WRITABLE');
    expect((err as OrchestratorError).exitCode).toBe(7);
    expect(readFileSync(join(d, 'plain'), 'utf8')).toBe('keep');
    expect(readdirSync(d)).toEqual(['plain']);
  });
});

describe('outputWriteError', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: failed`), { code });

  it('maps permission and path problems to OUTPUT_NOT_WRITABLE with the reason', () => {
    expect(outputWriteError(errno('EACCES'), '/x').message).toContain('permission denied');
    expect(outputWriteError(errno('ENOENT'), '/x').code).toBe('OUTPUT_NOT_WRITABLE');
  });

  it('maps a full disk and unknown failures to IO_ERROR', () => {
    const full = outputWriteError(errno('ENOSPC'), '/x');
    expect(full.code).toBe('IO_ERROR');
    expect(full.suggestion).toContain('Free disk space');
    expect(outputWriteError(new Error('weird'), '/x').code).toBe('IO_ERROR');
  });

  it('passes coded errors through unchanged', () => {
    const coded = new OrchestratorError('OUTPUT_EXISTS', 'exists');
    expect(outputWriteError(coded, '/x')).toBe(coded);
  });
});
