#!/usr/bin/env node
/** Entry point: the only place that ends the process, with the code `run` chose. */
import { run } from './program.js';

const controller = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    interrupts++;
    if (interrupts > 1) process.exit(130); // a second Ctrl-C means "now"
    controller.abort(new Error(sig));
  });
}

const code = await run(
  process.argv,
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  controller.signal,
);
// Writes to a pipe are asynchronous: let stdout and stderr drain, or a reader gets a cut-off document.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write('', done))));
process.exit(code);
