/**
 * Reading terraform/ without Terraform: every .tf file parsed by @cdktf/hcl2json (HashiCorp's HCL
 * parser compiled to WebAssembly) and merged per directory, the way Terraform merges the files of a
 * module. Expressions stay strings ("${var.x}"), which is what the checks below need.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

// Loaded untyped on purpose: @cdktf/hcl2json's typings carry `/// <reference lib="dom" />`, which would
// put the DOM's stream types over Node's for the whole program (tsc -p tsconfig.json then fails in
// orchestrator/src). The one function used is declared here instead.
const hcl2json = createRequire(import.meta.url)('@cdktf/hcl2json') as {
  parse: (fileName: string, text: string) => Promise<Record<string, unknown>>;
};

/** HCL text (a .tf or .tfvars file) → hcl2json's JSON: blocks by kind, expressions as "${…}" strings. */
export const parseHcl = (fileName: string, text: string) => hcl2json.parse(fileName, text);

export const TF_ROOT = resolve(import.meta.dirname, '../../terraform');

/** One block's attributes as hcl2json returns them (nested blocks are arrays of bodies). */
export type Body = Record<string, unknown>;

/** The blocks of one Terraform directory, by kind → (type →) name → body. */
export interface TfConfig {
  resource: Record<string, Record<string, Body>>;
  data: Record<string, Record<string, Body>>;
  variable: Record<string, Body>;
  output: Record<string, Body>;
  module: Record<string, Body>;
}

/** file name → source text, for the .tf files of one directory (relative names, sorted). */
export type TfFiles = Record<string, string>;

export function readTfFiles(dir: string): TfFiles {
  const files: TfFiles = {};
  for (const f of readdirSync(dir).sort())
    if (f.endsWith('.tf')) files[f] = readFileSync(join(dir, f), 'utf8');
  return files;
}

/** Every directory under terraform/ that holds .tf files (modules, their examples, envs). */
export function tfDirs(root = TF_ROOT): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    const names = readdirSync(dir).sort();
    if (names.some((n) => n.endsWith('.tf'))) out.push(dir);
    for (const n of names) {
      const p = join(dir, n);
      if (!n.startsWith('.') && statSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return out.map((d) => relative(root, d));
}

/** hcl2json wraps each labelled block's body in a one-element array. */
function single(v: unknown, where: string): Body {
  const body = Array.isArray(v) ? v[0] : v;
  if (typeof body !== 'object' || body === null) throw new Error(`${where}: not a block body`);
  return body as Body;
}

function entries(v: unknown): [string, unknown][] {
  return typeof v === 'object' && v !== null ? Object.entries(v) : [];
}

export async function parseTf(files: TfFiles): Promise<TfConfig> {
  const cfg: TfConfig = { resource: {}, data: {}, variable: {}, output: {}, module: {} };
  for (const [name, text] of Object.entries(files)) {
    const json = await parseHcl(name, text);
    for (const kind of ['resource', 'data'] as const) {
      for (const [type, byName] of entries(json[kind])) {
        const into: Record<string, Body> = cfg[kind][type] ?? {};
        cfg[kind][type] = into;
        for (const [n, body] of entries(byName)) into[n] = single(body, `${name}: ${kind} ${type}.${n}`);
      }
    }
    for (const kind of ['variable', 'output', 'module'] as const) {
      for (const [n, body] of entries(json[kind])) cfg[kind][n] = single(body, `${name}: ${kind} ${n}`);
    }
  }
  return cfg;
}

/** Nested blocks (e.g. `statement`) as a list of bodies; a missing block is an empty list. */
export function blocks(body: Body, name: string): Body[] {
  const v = body[name];
  return Array.isArray(v) ? (v as Body[]) : [];
}

/** The source text with `#` and `//` line comments removed (for reference scans). */
export function withoutComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !/^\s*(#|\/\/)/.test(l))
    .join('\n');
}
