/**
 * The cli tier runs the built CLI as a user would. Building here (tsc is incremental) keeps
 * `npx vitest` usable on its own; `npm test` has already built through the bootstrap.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function setup(): void {
  const root = resolve(import.meta.dirname, '..');
  execFileSync(process.execPath, [resolve(root, 'node_modules/typescript/bin/tsc'), '-b', 'orchestrator'], {
    cwd: root,
    stdio: 'inherit',
  });
}
