/**
 * Loads the configuration: parse each source → merge by precedence → validate once, reporting every
 * problem as `path: problem (got value)` together.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { OrchestratorError } from '../domain/errors.js';
import { isSecretKey, REDACTED, redactString } from '../domain/redact.js';
import { type Config, ConfigSchema } from './schema.js';

export const CONFIG_FILE_NAMES = [
  'orchestrator.config.yaml',
  'orchestrator.config.yml',
  'orchestrator.config.json',
];
export const ENV_PREFIX = 'ORCHESTRATOR_';

type Plain = Record<string, unknown>;

export interface ConfigSources {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Explicit --config path; when absent, the first CONFIG_FILE_NAMES file in cwd is used if present. */
  configFile?: string | undefined;
  /** Values from command-line flags, already shaped like the config (highest precedence). */
  flags?: Plain;
}

export interface LoadedConfig {
  config: Config;
  /** The file that was read, if any. */
  file: string | undefined;
}

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  }
  return out;
}

function readConfigFile(path: string): Plain {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new OrchestratorError(
      'CONFIG_UNREADABLE',
      `Cannot read config file ${path}: ${(e as Error).message}.`,
      {
        cause: e,
        suggestion: 'Check the --config path and its permissions.',
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = path.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new OrchestratorError(
      'CONFIG_INVALID',
      `Config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
      {
        cause: e,
        suggestion: 'Fix the syntax error at the position shown.',
      },
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlain(parsed)) {
    throw new OrchestratorError(
      'CONFIG_INVALID',
      `Config file ${path} must hold a mapping of settings, got ${JSON.stringify(parsed)}.`,
      {
        suggestion: 'See docs/config.schema.json for the shape of the file.',
      },
    );
  }
  return parsed;
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * `ORCHESTRATOR_LOG_LEVEL=debug` → logLevel; `ORCHESTRATOR_AWS__BUCKET=x` → aws.bucket (`__` nests).
 * Values stay text (a bucket or folder may be all digits); numeric settings coerce in the schema.
 * `ORCHESTRATOR_LAKE` is accepted as the --lake flag's twin (lake.root).
 */
export function configFromEnv(env: NodeJS.ProcessEnv): Plain {
  let out: Plain = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || raw === undefined) continue;
    const rest = key.slice(ENV_PREFIX.length);
    if (rest === 'CONFIG') continue; // the --config path itself, not a setting
    const path = rest === 'LAKE' ? ['lake', 'root'] : rest.split('__').map(camel);
    const nested = path.reduceRight<unknown>((acc, seg) => ({ [seg]: acc }), raw);
    out = deepMerge(out, nested as Plain);
  }
  return out;
}

function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (!isPlain(cur)) return undefined;
    cur = cur[seg as string];
  }
  return cur;
}

/** The offending value for a message: shortened, and never a secret (problems end up in CI logs). */
function describeValue(v: unknown, path: readonly PropertyKey[]): string {
  if (v === undefined) return 'nothing';
  if (path.some((seg) => isSecretKey(String(seg)))) return REDACTED;
  const s = redactString(JSON.stringify(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Every problem, one per line, as `path: problem (got value)`. */
export function formatIssues(issues: z.core.$ZodIssue[], input: unknown): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => {
        const path = [...issue.path, k].join('.');
        return `${path}: unknown setting (got ${describeValue(valueAt(input, [...issue.path, k]), [...issue.path, k])})`;
      });
    }
    const path = issue.path.length ? issue.path.join('.') : '(root)';
    return [`${path}: ${issue.message} (got ${describeValue(valueAt(input, issue.path), issue.path)})`];
  });
}

export function validateConfig(input: Plain, origin: string): Config {
  const result = ConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = formatIssues(result.error.issues, input);
  throw new OrchestratorError(
    'CONFIG_INVALID',
    `Invalid configuration (${origin}):\n  ${problems.join('\n  ')}`,
    {
      suggestion:
        'Fix the settings listed above; docs/config.schema.json describes every setting and its default.',
      data: { problems },
    },
  );
}

export function loadConfig(src: ConfigSources): LoadedConfig {
  let file: string | undefined;
  if (src.configFile) {
    file = resolve(src.cwd, src.configFile);
    if (!existsSync(file)) {
      throw new OrchestratorError('CONFIG_NOT_FOUND', `Config file ${file} does not exist.`, {
        suggestion: `Pass an existing file to --config, or drop the flag to use ${CONFIG_FILE_NAMES[0]} in the working directory or the defaults.`,
      });
    }
  } else {
    file = CONFIG_FILE_NAMES.map((n) => resolve(src.cwd, n)).find((p) => existsSync(p));
  }
  const fromFile = file ? readConfigFile(file) : {};
  const merged = deepMerge(deepMerge(fromFile, configFromEnv(src.env)), src.flags ?? {});
  const origin = [file ? `file ${file}` : 'no config file', 'environment', 'flags'].join(' + ');
  return { config: validateConfig(merged, origin), file };
}
