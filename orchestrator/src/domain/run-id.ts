/** Sortable run ids: `20261126T142001Z-3f9a1c` (UTC second, then randomness so parallel runs differ). */
import { randomBytes } from 'node:crypto';

export function newRunId(
  now: Date = new Date(),
  random: () => string = () => randomBytes(3).toString('hex'),
): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${random()}`;
}

export function isRunId(value: string): boolean {
  return /^\d{8}T\d{6}Z-[0-9a-f]{6}$/.test(value);
}
