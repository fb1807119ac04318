/**
 * report.html: one self-contained page (inline CSS, inline SVG charts, no script) that opens
 * offline from a CI artifact. The template is compiled once per process; everything it prints
 * goes through handlebars' escaping — the template uses no triple-stash.
 */
import { readFileSync } from 'node:fs';
import Handlebars from 'handlebars';
import type { MetricSample } from '../model/run.ts';
import { bucketQuantile } from '../model/buckets.ts';
import {
  breakerChart,
  errorRateChart,
  fineUpstreamChart,
  latencyChart,
  namedMetricCharts,
  requestsChart,
  routerActionsChart,
  upstreamChart,
  upstreamLatencyChart,
  type ChartModel,
} from './charts.ts';
import { verdictBanner } from './verdict.ts';
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

/**
 * The final metrics, grouped by name; a histogram's `_bucket`, `_sum` and `_count` series are
 * left out here (histogramSummaries reads them as percentiles instead of dozens of raw rows).
 */
function groupMetrics(samples: MetricSample[]): { name: string; rows: { labels: string; value: string }[]; open: boolean }[] {
  const groups = new Map<string, { labels: string; value: string }[]>();
  const histograms = new Set(samples.filter((s) => s.name.endsWith('_bucket')).map((s) => s.name.slice(0, -'_bucket'.length)));
  const partOfHistogram = (name: string) => ['_bucket', '_sum', '_count'].some((suffix) => name.endsWith(suffix) && histograms.has(name.slice(0, -suffix.length)));
  for (const s of samples) {
    if (partOfHistogram(s.name)) continue;
    const rows = groups.get(s.name) ?? [];
    rows.push({ labels: labelText(s.labels), value: formatCount(s.value) });
    groups.set(s.name, rows);
  }
  // Histogram buckets run to dozens of rows: fold big groups so the counters stay in view.
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, rows]) => ({ name, rows, open: rows.length <= 12 }));
}

/**
 * Each histogram in the final scrape, one row per label set (all but `le`) that saw any
 * observation: its count, mean and p50/p90/p99 from the buckets (interpolated inside a
 * bucket, as histogram_quantile does: a value is only known to its bucket's bounds).
 */
function histogramSummaries(samples: MetricSample[]) {
  const families = new Map<string, Map<string, { labels: Record<string, string>; buckets: { le: number; count: number }[]; sum?: number; count?: number }>>();
  const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le').sort(([a], [b]) => a.localeCompare(b)));
  const entry = (family: string, labels: Record<string, string>) => {
    const rows = families.get(family) ?? new Map();
    families.set(family, rows);
    const key = keyOf(labels);
    if (!rows.has(key)) rows.set(key, { labels: Object.fromEntries(Object.entries(labels).filter(([k]) => k !== 'le')), buckets: [] });
    return rows.get(key)!;
  };
  for (const s of samples) if (s.name.endsWith('_bucket')) entry(s.name.slice(0, -7), s.labels).buckets.push({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value });
  for (const s of samples) {
    const family = s.name.replace(/_(sum|count)$/, '');
    if (family === s.name || !families.has(family)) continue;
    const e = entry(family, s.labels);
    if (s.name.endsWith('_sum')) e.sum = s.value;
    else e.count = s.value;
  }
  // Seconds, by the Prometheus convention the name states; other units print as numbers.
  const seconds = (family: string) => family.endsWith('_seconds');
  const show = (family: string, v: number | null) => (v === null ? '—' : seconds(family) ? formatMs(v * 1000) : formatCount(+v.toPrecision(3)));
  return [...families]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, rows]) => ({
      name,
      rows: [...rows.values()]
        .filter((r) => (r.count ?? r.buckets.reduce((m, b) => Math.max(m, b.count), 0)) > 0)
        .map((r) => {
          const count = r.count ?? Math.max(...r.buckets.map((b) => b.count));
          return {
            labels: labelText(r.labels),
            observations: formatCount(count),
            mean: r.sum !== undefined && count > 0 ? show(name, r.sum / count) : '—',
            p50: show(name, bucketQuantile(r.buckets, 0.5)),
            p90: show(name, bucketQuantile(r.buckets, 0.9)),
            p99: show(name, bucketQuantile(r.buckets, 0.99)),
          };
        }),
    }))
    .filter((h) => h.rows.length > 0);
}

/** What each router action series is called in the actions chart, in the chart's order. */
const ACTION_LABELS = [
  { key: 'retries', label: 'retries' },
  { key: 'failovers', label: 'failovers' },
  { key: 'fallbacks', label: 'fallbacks' },
  { key: 'shed', label: 'shed' },
  { key: 'rate_limited', label: 'rate-limit refusals' },
  { key: 'retry_budget_refused', label: 'retries the budget refused' },
  { key: 'bulkhead_rejections', label: 'bulkhead rejections' },
  { key: 'throttled', label: 'adaptive throttling' },
  { key: 'ejections', label: 'outlier ejections' },
];

/** The metrics the scenario named, from the series' keys (`name{…}`, `name:p99`, `name`), in first-seen order. */
function namedMetrics(result: RunResult): string[] {
  return [...new Set(Object.keys(result.series.router?.metrics ?? {}).map((k) => k.replace(/[{:].*$/, '')))];
}

function charts(result: RunResult): ChartModel[] {
  const { series, durationMs, faults, slos } = result;
  return [
    requestsChart(series, durationMs, faults),
    errorRateChart(series, durationMs, faults, slos),
    latencyChart(series, durationMs, faults, {}, slos),
    upstreamChart(series, durationMs, faults),
    upstreamLatencyChart(series, durationMs, faults),
    breakerChart(series, durationMs, faults),
    routerActionsChart(series, durationMs, faults, ACTION_LABELS),
    fineUpstreamChart(series, durationMs, faults),
    ...namedMetricCharts(series, durationMs, faults, namedMetrics(result)),
  ].filter((c): c is ChartModel => c !== null);
}

/**
 * Each provider endpoint's share of the upstream calls, and what its answers cost where the
 * router counts it (`provider_cost_total`, `provider_cost_extra_total`: the part above what the
 * cheapest compliant provider would have charged).
 */
function providerShares(result: RunResult) {
  const byKey = new Map<string, number>();
  for (const u of result.upstream) {
    const key = u.region ? `${u.provider}@${u.region}` : u.provider;
    byKey.set(key, (byKey.get(key) ?? 0) + u.requests);
  }
  const total = [...byKey.values()].reduce((a, b) => a + b, 0);
  const cost = (name: string) => {
    const out = new Map<string, Map<string, number>>();
    for (const m of result.routerMetrics) {
      if (m.name !== name) continue;
      const provider = m.labels.provider ?? '';
      const row = out.get(provider) ?? new Map<string, number>();
      out.set(provider, row);
      row.set(m.labels.currency ?? '', (row.get(m.labels.currency ?? '') ?? 0) + m.value);
    }
    return out;
  };
  const costs = cost('provider_cost_total');
  const extras = cost('provider_cost_extra_total');
  const money = (m: Map<string, number> | undefined) =>
    m && m.size > 0
      ? [...m]
          .filter(([, v]) => v > 0)
          .map(([currency, v]) => `${v.toFixed(2)} ${currency}`)
          .join(' + ') || '0'
      : null;
  const keys = [...new Set([...byKey.keys(), ...costs.keys()])].sort();
  return {
    hasCost: costs.size > 0,
    rows: keys.map((key) => {
      const n = byKey.get(key) ?? 0;
      return { key, requests: formatCount(n), share: total > 0 ? formatPercent(n / total, 1) : '—', pct: total > 0 ? (n / total) * 100 : 0, cost: money(costs.get(key)) ?? '—', extra: money(extras.get(key)) ?? '—' };
    }),
  };
}

/** The environment in words, with a note when the host or faultline's own driver may have slowed the run. */
function environmentView(result: RunResult) {
  const env = result.environment;
  const avg = (xs: number[]) => xs.map((v) => v.toFixed(2)).join(' / ');
  const notes: string[] = [];
  if (env.hostLoad && env.hostLoad.cpus > 0) {
    const peak = Math.max(env.hostLoad.start[0] ?? 0, env.hostLoad.end[0] ?? 0);
    if (peak > env.hostLoad.cpus) notes.push(`The host was busy: a 1-minute load average of ${peak.toFixed(2)} on ${env.hostLoad.cpus} CPUs. Latencies may include waiting for a CPU.`);
  }
  const lag = env.driverLag;
  const p99 = result.load.latency?.p99;
  // The driver's lag is in every latency (measured from when a request was due): large against the p99, and it, not the service, set the tail.
  if (lag && p99 !== undefined && lag.p99 > 5 && lag.p99 > p99 * 0.1) {
    notes.push(`faultline's load driver was a bottleneck: it sent requests up to ${formatMs(lag.p99)} late (p99; max ${formatMs(lag.max)}), against a measured p99 latency of ${formatMs(p99)}.`);
  }
  return {
    hostLoad: env.hostLoad ? { start: avg(env.hostLoad.start), end: avg(env.hostLoad.end), cpus: env.hostLoad.cpus } : null,
    driverLag: lag ? `p50 ${formatMs(lag.p50)} · p99 ${formatMs(lag.p99)} · max ${formatMs(lag.max)}` : null,
    notes,
  };
}

/** The scenario as run: its text as written, and what changed it for this run. */
function sourceView(result: RunResult) {
  const src = result.scenario.source;
  if (!src) return null;
  const changes: string[] = [];
  for (const [k, v] of Object.entries(src.overrides ?? {})) changes.push(`--${k} ${String(v)}`);
  if (src.variant) for (const [path, v] of Object.entries(src.variant.set)) changes.push(`variant ${src.variant.name}: ${path} = ${JSON.stringify(v)}`);
  if (src.vars?.length) changes.push(`-e ${src.vars.join(', ')} (values not kept: they may be secrets)`);
  return { text: src.text, changes, lines: src.text.split('\n').length };
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
    banner: verdictBanner(result),
    shares: providerShares(result),
    histograms: histogramSummaries(result.routerMetrics),
    environment: environmentView(result),
    source: sourceView(result),
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
    charts: charts(result),
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
