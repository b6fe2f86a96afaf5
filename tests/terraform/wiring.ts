/**
 * The references `terraform validate` would resolve, checked from the parsed source alone: every
 * `var.<name>` declared, every module call passing declared inputs and all required ones, every
 * `module.<call>.<output>` an output of the called module. Validate itself needs the AWS provider's
 * schema, which cannot be installed offline (scripts/terraform-tools.sh validate says why).
 */
import { resolve } from 'node:path';
import { TF_ROOT, type TfConfig } from './hcl.js';

/** A parsed directory and its text without comments, keyed by its path relative to terraform/. */
export type Configs = Map<string, { cfg: TfConfig; text: string }>;

const META = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);

/** The directory (relative to terraform/) a module call's `source` points to. */
function sourceDir(from: string, source: unknown): string {
  return resolve(TF_ROOT, from, String(source)).slice(TF_ROOT.length + 1);
}

export function wiringProblems(configs: Configs): string[] {
  const problems: string[] = [];
  for (const [dir, { cfg, text }] of configs) {
    for (const [, name] of text.matchAll(/\bvar\.([A-Za-z_][\w-]*)/g))
      if (!(name! in cfg.variable)) problems.push(`${dir}: var.${name} is not declared`);

    for (const [call, body] of Object.entries(cfg.module)) {
      const target = configs.get(sourceDir(dir, body['source']));
      if (target === undefined) {
        problems.push(
          `${dir}: module ${call} has source ${String(body['source'])}, which holds no Terraform`,
        );
        continue;
      }
      const inputs = Object.keys(body).filter((k) => !META.has(k));
      for (const k of inputs)
        if (!(k in target.cfg.variable)) problems.push(`${dir}: module ${call} passes undeclared ${k}`);
      for (const [v, decl] of Object.entries(target.cfg.variable))
        if (!('default' in decl) && !inputs.includes(v))
          problems.push(`${dir}: module ${call} misses required ${v}`);
    }

    for (const [, call, out] of text.matchAll(/\bmodule\.([\w-]+)\.([\w-]+)/g)) {
      const body = cfg.module[call!];
      const target = body && configs.get(sourceDir(dir, body['source']));
      if (target === undefined) problems.push(`${dir}: module.${call} is not called here`);
      else if (!(out! in target.cfg.output))
        problems.push(`${dir}: module.${call}.${out} is not an output of it`);
    }
  }
  return problems;
}
