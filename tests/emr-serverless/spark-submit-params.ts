/**
 * `jobDriver.sparkSubmit.sparkSubmitParameters` as EMR Serverless takes it: one string of spark-submit
 * flags. Sizing (driver/executor cores and memory, executor count, dynamic allocation) decides the
 * workers EMR allocates, which a local run has no use for: it is kept apart, only for the resource
 * utilization figures, and never reaches the local spark-submit (a `spark.driver.memory=16g` would
 * otherwise size the local JVM).
 */
import { validation } from './api-errors.js';

export interface SparkSubmitParams {
  /** `--conf k=v` that the local spark-submit gets. */
  conf: Record<string, string>;
  /** Sizing settings, from `--conf` or the dedicated flags, as Spark conf keys. */
  sizing: Record<string, string>;
  pyFiles: string[];
  jars: string[];
  files: string[];
  archives: string[];
  /** `--class`: the main class of a JAR entry point. */
  mainClass?: string;
  name?: string;
}

/** Flags whose value is a comma-separated list of URIs to stage locally. */
const LIST_FLAGS = {
  '--py-files': 'pyFiles',
  '--jars': 'jars',
  '--files': 'files',
  '--archives': 'archives',
} as const;

/** Dedicated sizing flags, by the Spark conf key they stand for. */
const SIZING_FLAGS: Record<string, string> = {
  '--driver-memory': 'spark.driver.memory',
  '--driver-cores': 'spark.driver.cores',
  '--executor-memory': 'spark.executor.memory',
  '--executor-cores': 'spark.executor.cores',
  '--num-executors': 'spark.executor.instances',
};

const SIZING_CONF =
  /^spark\.(driver\.(memory|cores|memoryOverhead)|executor\.(memory|cores|instances|memoryOverhead)|dynamicAllocation\..+|emr-serverless\..+)$/;

/** Splits like a POSIX shell would for plain words and '…' / "…" quoting (no expansion, no escapes in '…'). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c === '\\' && i + 1 < text.length ? text[++i] : c;
      inWord = true;
    }
  }
  if (quote) throw validation(`sparkSubmitParameters: unterminated ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

export function parseSparkSubmitParameters(text: string | undefined): SparkSubmitParams {
  const params: SparkSubmitParams = { conf: {}, sizing: {}, pyFiles: [], jars: [], files: [], archives: [] };
  const words = splitWords(text ?? '');
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    // Both `--flag value` and `--flag=value`, as spark-submit accepts.
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = eq > 0 ? word.slice(0, eq) : word;
    const value = (): string => {
      if (eq > 0) return word.slice(eq + 1);
      const next = words[++i];
      if (next === undefined) throw validation(`sparkSubmitParameters: ${flag} needs a value`);
      return next;
    };
    if (flag === '--conf' || flag === '-c') {
      const kv = value();
      const sep = kv.indexOf('=');
      if (sep <= 0) throw validation(`sparkSubmitParameters: --conf expects key=value, got '${kv}'`);
      const key = kv.slice(0, sep);
      (SIZING_CONF.test(key) ? params.sizing : params.conf)[key] = kv.slice(sep + 1);
    } else if (flag in LIST_FLAGS) {
      const list = params[LIST_FLAGS[flag as keyof typeof LIST_FLAGS]];
      list.push(...value().split(',').filter(Boolean));
    } else if (flag in SIZING_FLAGS) {
      params.sizing[SIZING_FLAGS[flag]!] = value();
    } else if (flag === '--class') {
      params.mainClass = value();
    } else if (flag === '--name') {
      params.name = value();
    } else {
      // --master, --deploy-mode, --packages (needs Ivy and the internet), --properties-file (a local
      // file of the caller): EMR decides or cannot reach these; refuse loudly rather than ignore.
      throw validation(`sparkSubmitParameters: '${word}' is not supported by the EMR Serverless emulator`);
    }
  }
  return params;
}
