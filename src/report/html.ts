/**
 * report.html: one self-contained page (inline CSS, inline SVG charts, no script) that opens
 * offline from a CI artifact. The template is compiled once per process; everything it prints
 * goes through handlebars' escaping — the template uses no triple-stash.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { MetricSample } from '../model/run.ts';
import { fineUpstreamChart, latencyChart, requestsChart, upstreamChart } from './charts.ts';
import {
  comparatorSymbol,
  describeLoadModel,
  formatCount,
  formatMs,
  formatOffset,
  formatPercent,
  formatRate,
  formatSloPair,
  outcome,
  sloMiss,
} from './format.ts';
import type { RunResult } from '../model/result.ts';

// An isolated instance: helpers registered here cannot clash with another user of handlebars.
const hb = Handlebars.create();

hb.registerHelper('duration', (ms: unknown) => (typeof ms === 'number' ? formatMs(ms) : '—'));
hb.registerHelper('offset', (ms: unknown) => formatOffset(typeof ms === 'number' ? ms : null));
hb.registerHelper('count', (n: unknown) => (typeof n === 'number' ? formatCount(n) : '—'));
hb.registerHelper('percent', (f: unknown) => (typeof f === 'number' ? formatPercent(f) : '—'));
hb.registerHelper('rate', (r: unknown) => (typeof r === 'number' ? formatRate(r) : '—'));
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);

/** Where the template lives; exported so a test can check it never uses triple-stash. */
export const TEMPLATE_URL = new URL('./templates/report.hbs', import.meta.url);

/** One chart and its CSS, shared with the variants' comparison page (variants-html.ts). */
export const PARTIAL_URLS = { chart: new URL('./templates/chart.hbs', import.meta.url), chartStyle: new URL('./templates/chart-style.hbs', import.meta.url) };
for (const [name, url] of Object.entries(PARTIAL_URLS)) hb.registerPartial(name, readFileSync(url, 'utf8'));

/** The handlebars instance with the report's helpers and partials, for the other pages drawn like it. */
export const reportHandlebars = hb;

let compiled: Handlebars.TemplateDelegate | undefined;

function template(): Handlebars.TemplateDelegate {
  compiled ??= hb.compile(readFileSync(TEMPLATE_URL, 'utf8'));
  return compiled;
}

/** Lag between when a switch was due and when it happened; null when it never happened. */
function lag(scheduled: number, actual: number | null): { text: string; late: boolean } | null {
  if (actual === null) return null;
  const d = actual - scheduled;
  // More than 100 ms off is worth a second look: the SLO windows rest on the actual times.
  return { text: `${d >= 0 ? '+' : '−'}${formatMs(Math.abs(d))}`, late: Math.abs(d) > 100 };
}

function labelText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '(no labels)' : entries.map(([k, v]) => `${k}="${v}"`).join(', ');
}

function groupMetrics(samples: MetricSample[]): { name: string; rows: { labels: string; value: string }[]; open: boolean }[] {
  const groups = new Map<string, { labels: string; value: string }[]>();
  for (const s of samples) {
    const rows = groups.get(s.name) ?? [];
    rows.push({ labels: labelText(s.labels), value: formatCount(s.value) });
    groups.set(s.name, rows);
  }
  // Histogram buckets run to dozens of rows: fold big groups so the counters stay in view.
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, rows]) => ({ name, rows, open: rows.length <= 12 }));
}

/** Status codes as table columns, in numeric order, `0` (no response) last. */
function statusColumns(upstream: RunResult['upstream']): string[] {
  const codes = new Set(upstream.flatMap((u) => Object.keys(u.byStatus)));
  return [...codes].sort((a, b) => (a === '0' ? 1 : b === '0' ? -1 : Number(a) - Number(b) || a.localeCompare(b)));
}

function statusClass(code: string): string {
  if (code === '0') return 'st-error';
  if (code.startsWith('5')) return 'st-5xx';
  if (code.startsWith('4')) return 'st-4xx';
  return 'st-ok';
}

/** Everything the template prints, already worded; the template only lays it out. */
function viewModel(result: RunResult) {
  const verdict = outcome(result);
  const columns = statusColumns(result.upstream);
  const passed = result.slos.filter((s) => s.passed).length;
  return {
    result,
    verdict,
    aborted: result.status === 'aborted',
    sloCount: { passed, total: result.slos.length },
    slos: result.slos.map((s) => {
      const pair = formatSloPair(s);
      return {
        ...s,
        measured: pair.value,
        limit: `${comparatorSymbol(s.comparator)} ${pair.threshold}`,
        miss: sloMiss(s),
        rangeText: s.range === null ? 'never opened' : `${formatOffset(s.range[0])} – ${formatOffset(s.range[1])}`,
      };
    }),
    load: {
      model: describeLoadModel(result.load),
      requests: formatCount(result.load.requests),
      availability: result.load.availability === null ? '—' : formatPercent(result.load.availability),
      throughput: formatRate(result.load.throughput),
      latency: result.load.latency,
    },
    charts: [requestsChart, latencyChart, upstreamChart, fineUpstreamChart].flatMap((chart) => chart(result.series, result.durationMs, result.faults) ?? []),
    faults: result.faults.map((f) => ({
      ...f,
      // `outage blackhole`, `error · #2 · ramp rate · cut short`: what the row is, beside the name.
      kind: [`${f.kind}${f.shape ? ` ${f.shape}` : ''}`, f.occurrence && `#${f.occurrence}`, f.ramp && `ramp ${f.ramp.param}`, f.endedEarly && 'cut short']
        .filter(Boolean)
        .join(' · '),
      lagOn: lag(f.scheduledOn, f.on),
      lagOff: lag(f.scheduledOff, f.off),
      actualLength: f.on === null ? null : (f.off ?? result.durationMs) - f.on,
    })),
    upstream: {
      columns: columns.map((code) => ({ code, label: code === '0' ? 'no response' : code, cls: statusClass(code) })),
      rows: [...result.upstream]
        .sort((a, b) => a.provider.localeCompare(b.provider) || (a.region ?? '').localeCompare(b.region ?? '') || a.endpoint.localeCompare(b.endpoint))
        .map((u) => ({
          ...u,
          statuses: columns.map((code) => ({ n: u.byStatus[code] ?? 0, cls: statusClass(code) })),
          bar: columns
            .filter((code) => (u.byStatus[code] ?? 0) > 0)
            .map((code) => ({ cls: statusClass(code), pct: u.requests > 0 ? ((u.byStatus[code] ?? 0) / u.requests) * 100 : 0, code })),
        })),
    },
    metrics: groupMetrics(result.routerMetrics),
  };
}

/** The report as one HTML string. */
export function renderHtml(result: RunResult): string {
  return template()(viewModel(result));
}
