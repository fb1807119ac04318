/**
 * variants-<id>.html: a scenario and its variants side by side on one self-contained page
 * (inline CSS and SVG, no script, the report's Content-Security-Policy): a table of every
 * SLO's verdict and value per run with the differences from the base marked, then a column
 * per run with its settings, its SLO table, the report's charts (charts.ts, drawn by the
 * report's own chart partial) and a link to its report.html; the scenario file at the end.
 * Everything printed goes through handlebars' escaping — the template uses no triple-stash.
 */
import { readFileSync } from 'node:fs';
import type Handlebars from 'handlebars';
import { latencyChart, requestsChart, upstreamChart, type SharedScale } from './charts.ts';
import type { RunSeries } from '../model/result.ts';
import { comparatorSymbol, formatSloPair, outcome } from './format.ts';
import { reportHandlebars } from './html.ts';
import { differsFromBase, metExpectation, type VariantRun } from './variants.ts';

/** Where the template lives; exported so a test can check it never uses triple-stash. */
export const VARIANTS_TEMPLATE_URL = new URL('./templates/variants.hbs', import.meta.url);

let compiled: Handlebars.TemplateDelegate | undefined;

/** The comparison page; `scenarioText` is the scenario file as written (shown escaped). */
export function renderVariantsHtml(runs: readonly VariantRun[], scenarioText: string): string {
  compiled ??= reportHandlebars.compile(readFileSync(VARIANTS_TEMPLATE_URL, 'utf8'));
  const base = runs[0]!.result;
  const sloNames = [...new Set(runs.flatMap((r) => r.result.slos.map((s) => s.name)))];
  const cellOf = (r: VariantRun, name: string, first: boolean) => {
    const s = r.result.slos.find((x) => x.name === name);
    if (!s) return { missing: true };
    const pair = formatSloPair(s);
    return { passed: s.passed, value: pair.value, limit: `${comparatorSymbol(s.comparator)} ${pair.threshold}`, differs: !first && differsFromBase(base, s) };
  };
  const scales = sharedScales(runs.map((r) => r.result.series));
  const view = {
    scenario: base.scenario,
    met: runs.filter((r) => metExpectation(r.result)).length,
    total: runs.length,
    allMet: runs.every((r) => metExpectation(r.result)),
    variantCount: runs.length - 1,
    oneVariant: runs.length === 2,
    names: runs.map((r) => r.name),
    table: sloNames.map((name) => ({ name, cells: runs.map((r, i) => cellOf(r, name, i === 0)) })),
    verdicts: runs.map((r) => ({ ...outcome(r.result), met: metExpectation(r.result) })),
    runs: runs.map((r, i) => ({
      name: r.name,
      description: r.description,
      set: Object.entries(r.set).map(([path, v]) => ({ path, value: typeof v === 'string' ? v : JSON.stringify(v) })),
      verdict: outcome(r.result),
      met: metExpectation(r.result),
      report: r.reportHtml,
      resultJson: r.resultJson,
      slos: r.result.slos.map((s) => ({ ...cellOf(r, s.name, i === 0), name: s.name })),
      // One y scale per kind of chart across the runs, so a 4× amplification looks 4× as tall;
      // ids prefixed per run: a page holds each chart once per run.
      charts: ([[requestsChart, scales.requests], [latencyChart, scales.latency], [upstreamChart, scales.upstream]] as const).map(([chart, scale]) => {
        const c = chart(r.result.series, r.result.durationMs, r.result.faults, scale);
        return { ...c, id: `run${i}-${c.id}` };
      }),
    })),
    scenarioText,
  };
  return compiled(view);
}

/** The largest (and, for latency, smallest positive) value each chart shows over all runs. */
function sharedScales(all: RunSeries[]): { requests: SharedScale; latency: SharedScale; upstream: SharedScale } {
  let requests = 0;
  let upstream = 0;
  let latencyMax = 0;
  let latencyMin = Infinity;
  for (const s of all) {
    s.t.forEach((_, i) => (requests = Math.max(requests, (s.ok[i] ?? 0) + (s.status4xx[i] ?? 0) + (s.status5xx[i] ?? 0) + (s.errors[i] ?? 0))));
    for (const values of Object.values(s.upstream)) for (const v of values) upstream = Math.max(upstream, v);
    for (const v of [...s.p50, ...s.p99]) {
      if (v === null || !Number.isFinite(v) || v < 0) continue;
      latencyMax = Math.max(latencyMax, v);
      if (v > 0) latencyMin = Math.min(latencyMin, v);
    }
  }
  return { requests: { max: requests }, latency: { max: latencyMax, ...(Number.isFinite(latencyMin) && { min: latencyMin }) }, upstream: { max: upstream } };
}
