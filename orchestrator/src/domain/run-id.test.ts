import { describe, expect, it } from 'vitest';
import { isRunId, newRunId } from './run-id.js';

describe('run ids', () => {
  it('sort by time and carry randomness', () => {
    const a = newRunId(new Date('2026-11-26T14:20:01.123Z'), () => 'abc123');
    expect(a).toBe('20261126T142001Z-abc123');
    expect(isRunId(a)).toBe(true);
    const b = newRunId(new Date('2026-11-26T14:20:02Z'));
    expect(b > a).toBe(true);
    expect(isRunId(b)).toBe(true);
    expect(newRunId()).not.toBe(newRunId());
  });
});
