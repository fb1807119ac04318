/**
 * What each built-in metric means, what it may be selected by, and what kind of quantity
 * it is. The parser, the type checker and the evaluator all read this one table.
 */
import type { BuiltinMetricName } from './ast.ts';

/**
 * The kind of quantity an expression has. Units must agree before an SLO is accepted:
 * a duration is never compared with a percentage.
 * - `count`: a number of things (requests, router counter increases)
 * - `ratio`: a dimensionless fraction (availability, count / count); percentages are ratios
 * - `duration`: milliseconds
 * - `rate`: events per second
 * - `number`: a bare constant or a router gauge, whose unit faultline cannot know
 */
export type QuantityKind = 'count' | 'ratio' | 'duration' | 'rate' | 'number';

/** Where a metric's samples come from, which decides what "samples in the window" counts. */
export type MetricSource = 'requests' | 'upstream' | 'router';

export interface BuiltinMetric {
  kind: QuantityKind;
  source: 'requests' | 'upstream';
  labels: readonly string[];
  /** One line for error messages and docs. */
  doc: string;
}

const REQUEST_LABELS = ['route', 'status'] as const;

export const BUILTIN_METRICS: Readonly<Record<BuiltinMetricName, BuiltinMetric>> = {
  requests: { kind: 'count', source: 'requests', labels: REQUEST_LABELS, doc: 'requests due in the window' },
  // A success is what the request expects (`load.requests[].expect`), by default 2xx or 3xx.
  successes: { kind: 'count', source: 'requests', labels: REQUEST_LABELS, doc: 'requests answered with an expected status (default 2xx or 3xx)' },
  errors: { kind: 'count', source: 'requests', labels: REQUEST_LABELS, doc: 'requests answered with an unexpected status, or not answered' },
  availability: { kind: 'ratio', source: 'requests', labels: REQUEST_LABELS, doc: 'successes / requests' },
  error_rate: { kind: 'ratio', source: 'requests', labels: REQUEST_LABELS, doc: 'errors / requests' },
  throughput: { kind: 'rate', source: 'requests', labels: REQUEST_LABELS, doc: 'responses completed per second of the window' },
  upstream_requests: {
    kind: 'count',
    source: 'upstream',
    labels: ['provider', 'region', 'endpoint', 'status'],
    doc: 'calls the fixture providers received',
  },
};

/** A metric written as a call: its signature as the grammar reads it, beside what a built-in has. */
export interface FunctionMetric extends BuiltinMetric {
  signature: string;
}

/**
 * The metrics written as calls. The herd signature reads the providers' arrivals (ground
 * truth) in fine bins over the window (herd.ts); recovery_time reads the whole run (the
 * healthy stretch must reach its end; recovery.ts). Kept apart from BUILTIN_METRICS because a
 * bare `periodicity` is not a metric: the parser and the checker read both tables.
 */
export const FUNCTION_METRICS: Readonly<Record<'peak_to_mean' | 'periodicity' | 'recovery_time', FunctionMetric>> = {
  peak_to_mean: {
    kind: 'ratio',
    source: 'upstream',
    labels: ['provider', 'region', 'endpoint', 'status'],
    signature: 'peak_to_mean(upstream_requests{…}, 10ms)',
    doc: 'the largest count of provider arrivals in one bin (default 10ms) over the mean count per bin in the window; 1 is flat, a herd is ≫ 1',
  },
  periodicity: {
    kind: 'ratio',
    source: 'upstream',
    labels: ['provider', 'region', 'endpoint', 'status'],
    signature: 'periodicity(upstream_requests{…}, 10ms)',
    doc: 'the highest normalised autocorrelation (−1…1) of the binned provider arrivals over lags from 2 bins to a quarter of the window; the verdict names the lag (the waves\' period)',
  },
  recovery_time: {
    kind: 'duration',
    source: 'requests',
    labels: [],
    signature: 'recovery_time(<fault>)',
    doc: "time from the fault's last switch-off until the run was healthy (goodput ≥ 90 %, amplification ≤ 1.5) every second to its end, at least 5 s; +∞ if it never recovered",
  },
};

export const FUNCTION_NAMES = Object.keys(FUNCTION_METRICS) as (keyof typeof FUNCTION_METRICS)[];

/** Labels a latency statistic may select by: `p99(latency{route="checkout", status="2xx"})`. */
export const LATENCY_LABELS: readonly string[] = REQUEST_LABELS;

export const BUILTIN_NAMES = Object.keys(BUILTIN_METRICS) as BuiltinMetricName[];

export function isBuiltinMetric(name: string): name is BuiltinMetricName {
  return Object.hasOwn(BUILTIN_METRICS, name);
}

/**
 * Router metrics are Prometheus names, and Prometheus naming says what they are: `_total`
 * is a counter, and a histogram's `_count` and `_bucket` series are counters too. Their
 * increase over the window is a count. Anything else is read as a gauge of unknown unit.
 */
export function isCumulativeName(name: string): boolean {
  return /_(total|count|bucket|sum)$/.test(name);
}

export function routerMetricKind(name: string): QuantityKind {
  return /_(total|count|bucket)$/.test(name) ? 'count' : 'number';
}

/**
 * A status selector: a class (`5xx`), an exact code (`503`), or `error` (also `0`) for
 * requests that got no HTTP answer at all (network error, timeout, not sent).
 */
export const STATUS_PATTERN = /^(?:[1-5]xx|[1-5]\d\d|error|0)$/i;
