/**
 * Plausible resource figures for a finished run, derived from its wall-clock duration and the sizing
 * it asked for (EMR Serverless defaults: 4 vCPU / 16 GB workers with 20 GB of disk; one driver plus
 * `spark.executor.instances` executors, 3 when not given). Billing on AWS rounds each worker up to a
 * minimum of one minute; the billed figures do the same here.
 */
export interface ResourceUtilization {
  vCPUHour: number;
  memoryGBHour: number;
  storageGBHour: number;
}

const DEFAULT_CORES = 4;
const DEFAULT_MEMORY_GB = 16;
const STORAGE_GB_PER_WORKER = 20;
const DEFAULT_EXECUTORS = 3;
const MIN_BILLED_SECONDS = 60;

/** `4g`, `4096m`, `16G` → GB; a bare number is bytes, as Spark reads it. */
export function memoryGb(spec: string | undefined, fallback: number): number {
  const m = /^(\d+(?:\.\d+)?)([kmgt]?)b?$/i.exec(spec?.trim() ?? '');
  if (!m) return fallback;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  const perGb: Record<string, number> = { '': 1024 ** 3, k: 1024 ** 2, m: 1024, g: 1, t: 1 / 1024 };
  return n / perGb[unit]!;
}

function workerTotals(sizing: Record<string, string>): { vcpu: number; memoryGb: number; storageGb: number } {
  const num = (key: string, fallback: number) => {
    const v = Number(sizing[key]);
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const executors = num('spark.executor.instances', DEFAULT_EXECUTORS);
  return {
    vcpu: num('spark.driver.cores', DEFAULT_CORES) + executors * num('spark.executor.cores', DEFAULT_CORES),
    memoryGb:
      memoryGb(sizing['spark.driver.memory'], DEFAULT_MEMORY_GB) +
      executors * memoryGb(sizing['spark.executor.memory'], DEFAULT_MEMORY_GB),
    storageGb: (1 + executors) * STORAGE_GB_PER_WORKER,
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function utilization(
  sizing: Record<string, string>,
  seconds: number,
): { total: ResourceUtilization; billed: ResourceUtilization } {
  const w = workerTotals(sizing);
  const figures = (s: number): ResourceUtilization => ({
    vCPUHour: round3((w.vcpu * s) / 3600),
    memoryGBHour: round3((w.memoryGb * s) / 3600),
    storageGBHour: round3((w.storageGb * s) / 3600),
  });
  return { total: figures(seconds), billed: figures(Math.max(seconds, MIN_BILLED_SECONDS)) };
}
