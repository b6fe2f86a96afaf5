import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactString } from '../domain/redact.js';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { destination, lines };
}

describe('secret redaction', () => {
  it('replaces secret-looking fields at any depth', () => {
    const out = redact({
      password: 'hunter2',
      aws: { secretAccessKey: 'abc', sessionToken: 'tok', region: 'us-east-1' },
      headers: [{ Authorization: 'Basic Zm9v' }],
      apiKey: 'k',
      rows: 5,
    });
    expect(out).toEqual({
      password: REDACTED,
      aws: { secretAccessKey: REDACTED, sessionToken: REDACTED, region: 'us-east-1' },
      headers: [{ Authorization: REDACTED }],
      apiKey: REDACTED,
      rows: 5,
    });
  });

  it('masks access key ids, bearer tokens and presigned URL signatures inside text', () => {
    expect(redactString('key AKIAIOSFODNN7EXAMPLE used')).toBe(`key ${REDACTED} used`);
    expect(redactString('Authorization: Bearer abc.def-ghi')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactString('https://b.s3/x?X-Amz-Credential=AK%2F1&X-Amz-Signature=deadbeef&y=1')).toBe(
      `https://b.s3/x?X-Amz-Credential=${REDACTED}&X-Amz-Signature=${REDACTED}&y=1`,
    );
  });

  it('keeps ordinary values untouched', () => {
    expect(redact({ dataset: 'general', programYear: 2023, tokens: undefined })).toEqual({
      dataset: 'general',
      programYear: 2023,
      tokens: REDACTED,
    });
  });
});

describe('logger', () => {
  it('writes JSON lines without secrets when not on a TTY', () => {
    const { destination, lines } = capture();
    const log = createLogger({ level: 'info', pretty: false, destination });
    log.info(
      {
        code: 'x.done',
        aws: { secretAccessKey: 'wJalrXUtnFEMI/K7MDENG' },
        url: 'https://h/?X-Amz-Signature=abc',
      },
      'used AKIAIOSFODNN7EXAMPLE',
    );
    log.debug('hidden at info');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!);
    expect(rec).toMatchObject({
      level: 'info',
      code: 'x.done',
      msg: `used ${REDACTED}`,
      aws: { secretAccessKey: REDACTED },
      url: `https://h/?X-Amz-Signature=${REDACTED}`,
    });
    expect(lines[0]).not.toContain('wJalrXUtnFEMI');
    expect(lines[0]).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('pretty-prints on a TTY, still redacted', () => {
    const { destination, lines } = capture();
    const log = createLogger({ level: 'info', pretty: true, destination });
    log.warn({ password: 'hunter2' }, 'login');
    const text = lines.join('\n');
    expect(text).toContain('login');
    expect(text).toContain(REDACTED);
    expect(text).not.toContain('hunter2');
    expect(() => JSON.parse(lines[0]!)).toThrow();
  });
});
