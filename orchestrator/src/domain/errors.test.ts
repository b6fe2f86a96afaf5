import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, EXIT_CODES, OrchestratorError, toOrchestratorError } from './errors.js';

describe('errors', () => {
  it('carry a stable code, a source, a suggestion and the exit code of their category', () => {
    const e = new OrchestratorError('RAW_IMMUTABLE', 'raw/x exists with other bytes', {
      suggestion: 'use a new publication folder',
    });
    expect(e).toMatchObject({
      code: 'RAW_IMMUTABLE',
      source: 'user',
      category: 'conflict',
      suggestion: 'use a new publication folder',
    });
    expect(e.exitCode).toBe(6);
    expect(e.toJSON()).toMatchObject({ code: 'RAW_IMMUTABLE', exitCode: 6 });
  });

  it('wrap anything unexpected as INTERNAL (exit 1) and keep the cause', () => {
    const cause = new TypeError('boom');
    const e = toOrchestratorError(cause);
    expect(e.code).toBe('INTERNAL');
    expect(e.exitCode).toBe(1);
    expect(e.cause).toBe(cause);
  });

  it('give every code a category with an exit code', () => {
    for (const [code, spec] of Object.entries(ERROR_CODES))
      expect(EXIT_CODES[spec.category], code).toBeDefined();
  });

  it('match the exit-code table of the README', () => {
    const readme = readFileSync(resolve(import.meta.dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'));
    const rows = [...section.matchAll(/^\|\s*(\d+)\s*\|\s*(.+?)\s*\|$/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual(Object.values(EXIT_CODES).map((e) => [e.code, e.meaning]));
  });
});
