/**
 * `orchestrator report`: one self-contained HTML file (inline CSS and SVG, no script, no network
 * asset) from the run summaries: run history, rows in / curated / rejected / removed per year and
 * table, rejections by reason, durations, and the cost of remote runs. Numbers carry `data-*`
 * attributes so a browser test can read them back.
 */
import type { RunSummary } from './runs.js';

export interface ReportData {
  generatedAt: string;
  lake: string;
  runs: RunSummary[];
}

interface YearRow {
  year: number;
  table: string;
  rowsIn: number;
  rowsOut: number;
  rejected: number;
  removed: number;
  reasons: Record<string, number>;
  runId: string;
}

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
const fmt = (n: number) => n.toLocaleString('en-US');

/** The latest published numbers per (year, table): the newest submit run that published each. */
export function latestByYear(runs: RunSummary[]): YearRow[] {
  const seen = new Map<string, YearRow>();
  for (const r of runs) {
    // runs are newest first: the first publication seen for a (year, table) is the current one
    if (r.kind !== 'submit' || r.programYear === undefined) continue;
    for (const t of r.tables) {
      if (t.status !== 'published' || t.rowsOut === undefined) continue;
      const key = `${r.programYear}/${t.table}`;
      if (seen.has(key)) continue;
      seen.set(key, {
        year: r.programYear,
        table: t.table,
        rowsIn: t.rowsIn ?? t.rowsOut,
        rowsOut: t.rowsOut,
        rejected: t.rowsRejected ?? 0,
        removed: t.removed ?? 0,
        reasons: t.rejectedByReason ?? {},
        runId: r.runId,
      });
    }
  }
  return [...seen.values()].sort((a, b) => a.year - b.year || a.table.localeCompare(b.table));
}

/** Horizontal stacked bars (curated / rejected / removed) per year and table, as inline SVG. */
function barsSvg(rows: YearRow[]): string {
  if (rows.length === 0) return '<p>No published partitions yet.</p>';
  const width = 640;
  const bar = 18;
  const gap = 8;
  const label = 150;
  const max = Math.max(...rows.map((r) => r.rowsIn), 1);
  const scale = (n: number) => (n / max) * (width - label - 10);
  const parts = rows.map((r, i) => {
    const y = i * (bar + gap);
    const out = scale(r.rowsOut);
    const rej = scale(r.rejected);
    const rem = scale(r.removed);
    return `<g data-year="${r.year}" data-table="${esc(r.table)}">
  <text x="0" y="${y + bar - 4}" font-size="12">${r.year} ${esc(r.table)}</text>
  <rect class="curated" x="${label}" y="${y}" width="${out.toFixed(1)}" height="${bar}"><title>curated ${fmt(r.rowsOut)}</title></rect>
  <rect class="rejected" x="${(label + out).toFixed(1)}" y="${y}" width="${rej.toFixed(1)}" height="${bar}"><title>rejected ${fmt(r.rejected)}</title></rect>
  <rect class="removed" x="${(label + out + rej).toFixed(1)}" y="${y}" width="${rem.toFixed(1)}" height="${bar}"><title>removed ${fmt(r.removed)}</title></rect>
</g>`;
  });
  const height = rows.length * (bar + gap);
  return `<svg role="img" aria-label="rows per year and table" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('\n')}</svg>`;
}

export function renderReport(data: ReportData): string {
  const years = latestByYear(data.runs);
  const reasons = new Map<string, number>();
  for (const r of years)
    for (const [k, v] of Object.entries(r.reasons)) reasons.set(k, (reasons.get(k) ?? 0) + v);
  const totalCost = data.runs.reduce((n, r) => n + (r.costUsd ?? 0), 0);
  const maxReason = Math.max(...reasons.values(), 1);
  const history = data.runs
    .map(
      (r) => `<tr data-run="${esc(r.runId)}" class="status-${esc(r.status)}">
  <td><code>${esc(r.runId)}</code></td><td>${esc(r.command)}</td><td>${esc(r.programYear ?? '')}</td>
  <td>${esc(r.status)}</td><td class="num">${r.durationMs === undefined ? '' : (r.durationMs / 1000).toFixed(1)}</td>
  <td class="num">${r.costUsd === undefined ? '' : `$${r.costUsd.toFixed(4)}`}</td>
  <td>${esc(r.error?.code ?? '')}</td></tr>`,
    )
    .join('\n');
  const yearRows = years
    .map(
      (r) => `<tr data-year="${r.year}" data-table="${esc(r.table)}">
  <td>${r.year}</td><td>${esc(r.table)}</td>
  <td class="num" data-field="rowsIn">${fmt(r.rowsIn)}</td><td class="num" data-field="rowsOut">${fmt(r.rowsOut)}</td>
  <td class="num" data-field="rejected">${fmt(r.rejected)}</td><td class="num" data-field="removed">${fmt(r.removed)}</td>
  <td><code>${esc(r.runId)}</code></td></tr>`,
    )
    .join('\n');
  const reasonRows = [...reasons.entries()]
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .map(
      ([
        k,
        v,
      ]) => `<tr data-reason="${esc(k)}"><td><code>${esc(k)}</code></td><td class="num" data-field="count">${fmt(v)}</td>
  <td><svg width="200" height="12"><rect class="rejected" width="${((v / maxReason) * 200).toFixed(1)}" height="12"/></svg></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Open Payments pipeline report</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d2330; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  table { border-collapse: collapse; margin: .5rem 0; } td, th { padding: .25rem .6rem; border-bottom: 1px solid #dde1e8; text-align: left; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .curated { fill: #2f6fbd; } .rejected { fill: #d2553f; } .removed { fill: #a0a6b2; }
  .status-failed td, .status-incomplete td { color: #b3261e; }
  .legend span { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 1rem; vertical-align: middle; }
  .kpi { display: inline-block; margin-right: 2rem; } .kpi b { display: block; font-size: 1.3rem; }
</style></head>
<body>
<h1>Open Payments pipeline report</h1>
<p>Lake <code>${esc(data.lake)}</code> · generated ${esc(data.generatedAt)}</p>
<div>
  <span class="kpi" id="kpi-runs"><b>${fmt(data.runs.length)}</b>runs</span>
  <span class="kpi" id="kpi-curated"><b>${fmt(years.reduce((n, r) => n + r.rowsOut, 0))}</b>curated rows published</span>
  <span class="kpi" id="kpi-rejected"><b>${fmt(years.reduce((n, r) => n + r.rejected, 0))}</b>rows quarantined</span>
  <span class="kpi" id="kpi-cost"><b>$${totalCost.toFixed(4)}</b>estimated remote cost</span>
</div>
<h2>Rows per program year and table</h2>
<p class="legend"><span class="curated" style="background:#2f6fbd"></span>curated<span style="background:#d2553f"></span>rejected<span style="background:#a0a6b2"></span>removed</p>
${barsSvg(years)}
<table id="years"><thead><tr><th>year</th><th>table</th><th class="num">rows in</th><th class="num">curated</th><th class="num">rejected</th><th class="num">removed</th><th>run</th></tr></thead>
<tbody>
${yearRows}
</tbody></table>
<h2>Rejected rows by reason</h2>
<table id="reasons"><thead><tr><th>reason</th><th class="num">rows</th><th></th></tr></thead><tbody>
${reasonRows}
</tbody></table>
<h2>Run history</h2>
<table id="runs"><thead><tr><th>run</th><th>command</th><th>year</th><th>status</th><th class="num">seconds</th><th class="num">cost</th><th>error</th></tr></thead><tbody>
${history}
</tbody></table>
</body></html>
`;
}
