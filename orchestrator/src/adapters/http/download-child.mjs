// A real process downloading with the COMPILED downloader, for download.test.ts to SIGKILL mid-way.
// Usage: node download-child.mjs <url> <dest>
// Prints one JSON line per event, then {"result": ...} or {"error": ...} (exit code of the error).
import { download } from '../../../dist/adapters/http/download.js';

const [url, dest] = process.argv.slice(2);
const line = (value) => process.stdout.write(`${JSON.stringify(value)}\n`);
const reporter = {
  event: (e) => line({ event: e.code, data: e.data }),
  progress: () => ({ tick: () => undefined, done: () => undefined }),
};

try {
  const result = await download({
    url,
    dest,
    reporter,
    backoff: { baseMs: 10, maxMs: 50 },
    stallTimeoutMs: 5000,
  });
  line({ result });
} catch (e) {
  line({ error: { code: e.code, message: e.message } });
  process.exitCode = typeof e.exitCode === 'number' ? e.exitCode : 1;
}
