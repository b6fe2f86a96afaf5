/**
 * Secrets never reach logs: any field whose name looks secret is replaced, at any depth, and values
 * that look like AWS access keys or bearer tokens are masked wherever they appear.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY =
  /(pass(word|wd)?|secret|token|api[-_]?key|authorization|credential|private[-_]?key|session[-_]?key|cookie|signature)/i;
const SECRET_VALUE: readonly (readonly [RegExp, string])[] = [
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED], // AWS access key ids
  [/\bBearer\s+[A-Za-z0-9._~+/-]+=*/g, `Bearer ${REDACTED}`],
  [/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s]+/gi, `$1${REDACTED}`], // presigned URLs
];

export function redactString(s: string): string {
  return SECRET_VALUE.reduce((acc, [re, replacement]) => acc.replace(re, replacement), s);
}

/** True for a field name that looks like it holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return value;
  if (typeof value === 'string') return redactString(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Error) return value;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redact(v, depth + 1);
    return out;
  }
  return value;
}
