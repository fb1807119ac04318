/**
 * Per-second series from the target's /metrics scrapes (`series.router`): each breaker's
 * state, what the router did (retries, failovers, fallbacks, sheds, rate-limit refusals...)
 * and the metrics a scenario names. Live and simulated runs both scrape about once a second,
 * so both get theirs here, through buildResult.
 *
 * Counters are read as increases between consecutive scrapes (a series missing from a scrape
 * is 0: prom-client prints no line for a labelled counter until it first moves; a value that
 * went down is a restarted counter, counted from 0), each increase spread over the seconds
 * its interval covers in proportion to the overlap, so a missed scrape blurs two seconds
 * rather than doubling one. Gauges are the value scraped in the second.
 */
import type { RouterSeries } from '../model/result.ts';
import { bucketQuantile } from '../model/buckets.ts';
import type { MetricSample, MetricScrape } from '../model/run.ts';

const BUCKET_MS = 1000;

/** `circuit_breaker_state` codes, as src/router/metrics.ts exports them. */
const BREAKER_CODE: Record<string, number> = { closed: 0, open: 1, 'half-open': 2 };

/** What the router did, by the counter that counts it: the report's "router actions" chart. */
export const ROUTER_ACTIONS: readonly { key: string; metric: string; label: string }[] = [
  { key: 'retries', metric: 'retry_attempts_total', label: 'retries' },
  { key: 'failovers', metric: 'failover_invocations_total', label: 'failovers' },
  { key: 'fallbacks', metric: 'fallback_invocations_total', label: 'fallbacks' },
  { key: 'shed', metric: 'load_shed_total', label: 'shed' },
  { key: 'rate_limited', metric: 'rate_limited_total', label: 'rate-limit refusals' },
  { key: 'retry_budget_refused', metric: 'retry_budget_exhausted_total', label: 'retries refused by the budget' },
  { key: 'bulkhead_rejections', metric: 'bulkhead_rejections_total', label: 'bulkhead rejections' },
  { key: 'throttled', metric: 'adaptive_throttling_rejections_total', label: 'adaptive throttling' },
  { key: 'ejections', metric: 'outlier_ejections_total', label: 'outlier ejections' },
];

function labelKey(labels: Record<string, string>, omit?: string): string {
  const entries = Object.entries(labels)
    .filter(([k]) => k !== omit)
    .sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

/** Whether the metric is a counter by the Prometheus naming conventions (a counter ends `_total`; a histogram's `_count` and `_sum` only go up). */
function isCounterName(name: string): boolean {
  return name.endsWith('_total') || name.endsWith('_count') || name.endsWith('_sum') || name.endsWith('_bucket');
}

/** Each series' value in one scrape, by `name` + label key. */
function valuesOf(scrape: MetricScrape, accept: (s: MetricSample) => boolean, key: (s: MetricSample) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of scrape.samples) if (accept(s) && Number.isFinite(s.value)) out.set(key(s), (out.get(key(s)) ?? 0) + s.value);
  return out;
}

/**
 * Increases per second of every series `accept` takes, grouped by `key`: row[i] is the
 * increase in [i s, i + 1 s). Scrapes must be in time order.
 */
function increases(scrapes: readonly MetricScrape[], n: number, accept: (s: MetricSample) => boolean, key: (s: MetricSample) => string): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  let prev: Map<string, number> | undefined;
  let prevT = 0;
  for (const scrape of scrapes) {
    const now = valuesOf(scrape, accept, key);
    if (prev) {
      const from = prevT;
      const to = scrape.t;
      for (const [k, v] of now) {
        const before = prev.get(k) ?? 0;
        const inc = v >= before ? v - before : v;
        const row = rows.get(k) ?? new Array<number>(n).fill(0);
        rows.set(k, row);
        if (inc > 0) spread(row, from, to, inc);
      }
    } else for (const k of now.keys()) if (!rows.has(k)) rows.set(k, new Array<number>(n).fill(0));
    prev = now;
    prevT = scrape.t;
  }
  return rows;
}

/** Adds `amount` over [from, to) ms to the per-second row, in proportion to each second's overlap; a zero-length interval goes to its second. */
function spread(row: number[], from: number, to: number, amount: number): void {
  const n = row.length;
  if (n === 0) return;
  const clampBucket = (ms: number) => Math.min(n - 1, Math.max(0, Math.floor(ms / BUCKET_MS)));
  if (to <= from) {
    row[clampBucket(from)]! += amount;
    return;
  }
  const first = clampBucket(from);
  const last = clampBucket(to - 1e-9);
  for (let i = first; i <= last; i++) {
    // The last second takes whatever lies past the series' end (the final scrape, just after it).
    const lo = i === first ? from : i * BUCKET_MS;
    const hi = i === last ? to : (i + 1) * BUCKET_MS;
    row[i]! += amount * ((hi - lo) / (to - from));
  }
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** Each breaker's state per second: the scraped code, raised to open (or half-open) in a second in which the transitions counter says it went there. */
function breakerSeries(scrapes: readonly MetricScrape[], n: number): Record<string, (number | null)[]> {
  const keyOf = (s: MetricSample) => (s.labels.region ? `${s.labels.provider ?? ''}@${s.labels.region}` : (s.labels.provider ?? ''));
  const out: Record<string, (number | null)[]> = {};
  for (const scrape of scrapes) {
    const i = Math.floor(scrape.t / BUCKET_MS);
    for (const s of scrape.samples) {
      if (s.name !== 'circuit_breaker_state') continue;
      const row = (out[keyOf(s)] ??= new Array<number | null>(n).fill(null));
      // The first scrape in a second is its sample (the final scrape, just past the end, is the last second's if that has none).
      const at = Math.min(i, n - 1);
      if (at >= 0 && row[at] === null) row[at] = s.value;
    }
  }
  const moved = increases(
    scrapes,
    n,
    (s) => s.name === 'circuit_breaker_transitions_total',
    (s) => `${keyOf(s)}\u0000${s.labels.to ?? ''}`,
  );
  for (const [k, row] of moved) {
    const [breaker, to] = k.split('\u0000') as [string, string];
    const code = BREAKER_CODE[to];
    if (code === undefined || code === 0) continue;
    const states = (out[breaker] ??= new Array<number | null>(n).fill(null));
    row.forEach((inc, i) => {
      // Open outranks half-open: a trip in the second is what a person must see.
      if (inc > 0 && (states[i] === null || states[i] === 0 || (code === 1 && states[i] === 2))) states[i] = code;
    });
  }
  return out;
}

/** A histogram family's p50 and p99 per second (seconds as the histogram counts them), over every label set but `le`, from its buckets' increase. */
function histogramSeries(scrapes: readonly MetricScrape[], n: number, family: string): { p50: (number | null)[]; p99: (number | null)[] } {
  const rows = increases(
    scrapes,
    n,
    (s) => s.name === `${family}_bucket`,
    (s) => s.labels.le ?? '',
  );
  const les = [...rows.keys()].map((le) => ({ le, bound: le === '+Inf' ? Infinity : Number(le) }));
  const at = (q: number) =>
    Array.from({ length: n }, (_, i) => {
      const v = bucketQuantile(
        les.map(({ le, bound }) => ({ le: bound, count: rows.get(le)![i]! })),
        q,
      );
      // Significant digits, not decimals: a histogram in seconds holds sub-millisecond values.
      return v === null ? null : +v.toPrecision(4);
    });
  return { p50: at(0.5), p99: at(0.99) };
}

/**
 * The router series over `n` seconds from the run's scrapes; undefined when there were none
 * (a target without metrics).
 *
 * @example
 *   const router = routerSeries(data.scrapes, series.t.length, scenario.report?.metrics);
 *   router?.breakers['stripe@eu'] // [0, 0, 1, 1, 2, 0, …]
 */
export function routerSeries(scrapes: readonly MetricScrape[], n: number, named: readonly string[] = []): RouterSeries | undefined {
  if (scrapes.length === 0) return undefined;
  const ordered = [...scrapes].sort((a, b) => a.t - b.t);
  const declared = new Set(ordered.flatMap((s) => [...(s.declared ?? []), ...s.samples.map((x) => x.name)]));
  const actions: Record<string, number[]> = {};
  for (const a of ROUTER_ACTIONS) {
    if (!declared.has(a.metric)) continue;
    const rows = increases(
      ordered,
      n,
      (s) => s.name === a.metric,
      () => '',
    );
    actions[a.key] = (rows.get('') ?? new Array<number>(n).fill(0)).map(round);
  }
  const out: RouterSeries = { breakers: breakerSeries(ordered, n), actions };
  if (named.length > 0) {
    const metrics: Record<string, (number | null)[]> = {};
    for (const name of named) {
      if (declared.has(`${name}_bucket`)) {
        const h = histogramSeries(ordered, n, name);
        metrics[`${name}:p50`] = h.p50;
        metrics[`${name}:p99`] = h.p99;
      } else if (isCounterName(name)) {
        const rows = increases(
          ordered,
          n,
          (s) => s.name === name,
          (s) => `${name}${labelKey(s.labels)}`,
        );
        for (const [k, row] of rows) metrics[k] = row.map(round);
        if (rows.size === 0 && declared.has(name)) metrics[name] = new Array<number>(n).fill(0);
      } else {
        for (const scrape of ordered) {
          const i = Math.min(n - 1, Math.floor(scrape.t / BUCKET_MS));
          if (i < 0) continue;
          for (const s of scrape.samples) {
            if (s.name !== name) continue;
            const row = (metrics[`${name}${labelKey(s.labels)}`] ??= new Array<number | null>(n).fill(null));
            if (row[i] === null) row[i] = s.value;
          }
        }
      }
    }
    out.metrics = metrics;
  }
  return out;
}
