/**
 * Composition root: the only module that knows both the use cases and the concrete adapters.
 * config.target picks the adapters; the AWS ones arrive with the AWS issue.
 */
import { resolve } from 'node:path';
import { FsObjectStore } from './adapters/local/fs-object-store.js';
import { projectRoot, readPlatformVersions, venvEnv } from './adapters/local/project.js';
import { LocalSystemProbe } from './adapters/local/system-probe.js';
import type { CommandContext } from './cli/context.js';
import { OrchestratorError } from './domain/errors.js';
import type { ObjectStore } from './ports/object-store.js';
import type { SystemProbe } from './ports/system.js';

export function localPaths(ctx: Pick<CommandContext, 'config' | 'io'>) {
  const root = projectRoot(ctx.io.env);
  const venv = resolve(root, ctx.config.python.venv);
  return {
    projectRoot: root,
    venv,
    venvEnv: venvEnv(venv, ctx.io.env),
    lakeRoot: resolve(ctx.io.cwd, ctx.config.lake.root),
    versions: readPlatformVersions(root),
  };
}

export function systemProbe(): SystemProbe {
  return new LocalSystemProbe();
}

export function objectStore(ctx: Pick<CommandContext, 'config' | 'io'>): ObjectStore {
  if (ctx.config.target === 'aws') {
    throw new OrchestratorError(
      'TARGET_NOT_AVAILABLE',
      'The aws target has no object store yet in this version.',
      {
        suggestion: 'Use --target local (the default) until the AWS adapters land.',
      },
    );
  }
  return new FsObjectStore(localPaths(ctx).lakeRoot);
}
