/** Where the project's own files are (venv link, versions.json), found from the installed CLI's location. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** orchestrator/dist/adapters/local/project.js → the repository root, four levels up. */
export function projectRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env['OP_PROJECT_ROOT'] ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
}

export interface PlatformVersions {
  emrReleaseLabel: string;
  spark: string;
  scala: string;
  jobPython: string;
  java: number;
  node: number;
}

export function readPlatformVersions(root: string = projectRoot()): PlatformVersions {
  return JSON.parse(readFileSync(resolve(root, 'versions.json'), 'utf8')) as PlatformVersions;
}

/**
 * Environment for programs of the project venv. pyspark's `spark-submit` finds SPARK_HOME through the
 * `python3` on PATH, so the venv's bin must come first or it resolves to nothing.
 */
export function venvEnv(venv: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    PATH: `${resolve(venv, 'bin')}:${env['PATH'] ?? ''}`,
    VIRTUAL_ENV: venv,
    PYSPARK_PYTHON: resolve(venv, 'bin', 'python'),
    PYSPARK_DRIVER_PYTHON: resolve(venv, 'bin', 'python'),
  };
}
