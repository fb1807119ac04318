/**
 * The SLO evaluator: a pure function from an SLO and a run's data to a verdict. It reads
 * RunData only; it never throws for a bad SLO or missing data, it says so in the verdict.
 */
import type { MetricSample, MetricScrape, RequestRecord, RunData, UpstreamRecord } from '../model/run.ts';
import type { SloVerdict } from '../model/result.ts';
import type { ArrivalsNode, LabelMatcher, LatencyNode, MetricNode, RecoveryNode, RouterMetricNode, SloExpr, ValueExpr } from './ast.ts';
import { plainNumber, printSlo, printValue } from './ast.ts';
import { binArrivals, peakToMean, periodicity } from './herd.ts';
import { analyzeRecovery, perSecond } from './recovery.ts';
import { validateSlo, verdictUnit } from './check.ts';
import { formatCount, formatOffset, formatPair, BROKE, HOLDS, holds, margin } from './format.ts';
import { latencyDistribution, latencyOf, statOf } from './latency.ts';
import type { MetricSource } from './metrics.ts';
import { BUILTIN_METRICS, isCumulativeName } from './metrics.ts';
import { isSuccess, statusMatches } from '../model/success.ts';
import { parseSlo } from './parse.ts';
import { closest } from '../core/suggest.ts';
import type { SloWindow } from '../model/window.ts';
import type { WindowRange } from './window.ts';
import { describeWindow, inWindow, resolveWindow, whyNoWindow } from './window.ts';

// The run (src/run/run.ts) imports the latency summary from here, beside the verdicts it also builds.
export { summarizeLatency } from './latency.ts';

/** An SLO as the scenario states it: the expression as text (or already parsed) and its window. */
export interface SloSpec {
  name: string;
  expr: string | SloExpr;
  window: SloWindow;
}

/**
 * Judges one SLO against a run. Every field of the verdict is filled; a verdict whose
 * value could not be measured (no samples, unknown router metric, window never opened)
 * has `value: null` and fails, with the reason in `message`.
 *
 * @example
 *   evaluateSlo({ name: 'availability', expr: 'availability >= 99%', window: { kind: 'run' } }, data)
 *   // { passed: false, value: 0.9712, threshold: 0.99, unit: 'percent', samples: 1204,
 *   //   message: 'availability 97.12 % < 99 % over 1,204 requests: short by 1.88 points', ... }
 */
export function evaluateSlo(spec: SloSpec, data: RunData): SloVerdict {
  const window = describeWindow(spec.window);
  let expr: SloExpr;
  let expression: string;
  let source: string | undefined;
  if (typeof spec.expr === 'string') {
    const parsed = parseSlo(spec.expr);
    if (!parsed.ok) return invalid(spec, window, spec.expr, parsed.error);
    expr = parsed.expr;
    expression = source = spec.expr;
  } else {
    expr = spec.expr;
    expression = printSlo(expr);
    const error = validateSlo(expr);
    if (error) return invalid(spec, window, expression, error);
  }
  const label = source === undefined ? printValue(expr.left) : source.slice(expr.left.span.start, expr.left.span.end);
  const threshold = expr.threshold.value;
  const unit = verdictUnit(expr);
  const base = { name: spec.name, expression, window, comparator: expr.comparator, threshold, unit };

  const range = resolveWindow(spec.window, data);
  if (!range) {
    return { ...base, range: null, passed: false, value: null, samples: 0, message: `${label}: ${whyNoWindow(spec.window, data)}` };
  }
  const ctx = context(data, range);
  const basis = sourceOf(expr.left);
  const samples = samplesFor(basis, ctx);
  // A metric the target does not export is a wrong name, whatever the window holds: say that, not "no samples".
  const missing = basis === 'router' ? notExported(expr.left, data) : undefined;
  if (missing !== undefined) return { ...base, range, passed: false, value: null, samples, message: `${label}: ${missing}` };
  if (samples === 0) {
    const what = { requests: 'no requests were due', upstream: 'the providers received no calls', router: "no scrape of the target's /metrics fell" }[basis];
    const where = `in the window (${window}, ${formatOffset(range[0])}–${formatOffset(range[1])})`;
    return { ...base, range, passed: false, value: null, samples, message: `${label}: ${what} ${where}, so there is nothing to judge` };
  }
  const measured = evaluate(expr.left, ctx);
  if (measured.value === null) {
    return { ...base, range, passed: false, value: null, samples, message: `${label}: ${measured.reason}` };
  }
  const value = measured.value;
  const passed = holds(value, expr.comparator, threshold);
  const [v, t] = formatPair(value, threshold, unit);
  const relation = passed ? HOLDS[expr.comparator] : BROKE[expr.comparator];
  const over = { requests: formatCount(samples, 'request'), upstream: formatCount(samples, 'upstream call'), router: formatCount(samples, 'scrape') + ' of /metrics' }[basis];
  const notes = ctx.notes.length ? ` (${ctx.notes.join('; ')})` : '';
  // +∞ is recovery_time's "never": no margin to print. result.json writes it as null (JSON has no ∞); the message says never.
  const message = Number.isFinite(value)
    ? `${label} ${v} ${relation} ${t} over ${over}: ${margin(value, expr.comparator, threshold, unit, passed)}${notes}`
    : `${label} is ${value > 0 ? '+' : '−'}∞ (never) ${relation} ${t} over ${over}${notes}`;
  return { ...base, range, passed, value, samples, message };
}

/**
 * Judges every SLO of a scenario, in order.
 *
 * @example evaluateSlos(scenario.slos, data).every((v) => v.passed) // the CI gate
 */
export function evaluateSlos(specs: readonly SloSpec[], data: RunData): SloVerdict[] {
  return specs.map((spec) => evaluateSlo(spec, data));
}

function invalid(spec: SloSpec, window: string, expression: string, error: { message: string; offset: number }): SloVerdict {
  return {
    name: spec.name,
    expression,
    window,
    range: null,
    passed: false,
    value: null,
    // Placeholders: an expression that does not parse has no comparator or threshold to report.
    comparator: '>=',
    threshold: 0,
    unit: 'count',
    samples: 0,
    message: `invalid SLO expression at offset ${error.offset}: ${error.message}`,
  };
}

// ---------------------------------------------------------------------------------------
// Evaluation of the measured side

type Measured = { value: number; reason?: undefined } | { value: null; reason: string };

interface Context {
  data: RunData;
  range: WindowRange;
  /** Requests due in the window. */
  requests: RequestRecord[];
  /** Upstream calls received in the window. */
  upstream: UpstreamRecord[];
  /** All scrapes, by time. */
  scrapes: MetricScrape[];
  /** What a measure adds to the verdict's message (the waves' period, why never recovered). */
  notes: string[];
}

function context(data: RunData, range: WindowRange): Context {
  const end = data.durationMs;
  return {
    data,
    range,
    requests: data.requests.filter((r) => inWindow(r.due, range, end)),
    upstream: data.upstream.filter((u) => inWindow(u.t, range, end)),
    scrapes: [...data.scrapes].sort((a, b) => a.t - b.t),
    notes: [],
  };
}

/**
 * What the verdict's sample count counts. Requests if the SLO reads any request metric
 * (the load is what it judges), else upstream calls, else router scrapes. It counts all of
 * them in the window, not only those a selector picks, so `upstream_requests{region="us",
 * provider="adyen"} == 0` can pass on zero matches as long as there was traffic.
 */
function sourceOf(node: ValueExpr): MetricSource {
  const found = new Set<MetricSource>();
  const walk = (n: ValueExpr): void => {
    switch (n.kind) {
      case 'metric':
        found.add(BUILTIN_METRICS[n.name].source);
        return;
      case 'latency':
      case 'recovery':
        found.add('requests');
        return;
      case 'arrivals':
        found.add('upstream');
        return;
      case 'router_metric':
        found.add('router');
        return;
      case 'negate':
        return walk(n.operand);
      case 'binary':
        walk(n.left);
        walk(n.right);
        return;
      case 'number':
        return;
    }
  };
  walk(node);
  return found.has('requests') ? 'requests' : found.has('upstream') ? 'upstream' : 'router';
}

function samplesFor(basis: MetricSource, ctx: Context): number {
  if (basis === 'requests') return ctx.requests.length;
  if (basis === 'upstream') return ctx.upstream.length;
  const [start, end] = ctx.range;
  return ctx.scrapes.filter((s) => s.t >= start && s.t <= end).length;
}

function evaluate(node: ValueExpr, ctx: Context): Measured {
  switch (node.kind) {
    case 'number':
      return { value: node.value };
    case 'metric':
      return builtin(node, ctx);
    case 'latency':
      return latency(node, ctx);
    case 'router_metric':
      return routerMetric(node, ctx);
    case 'arrivals':
      return arrivals(node, ctx);
    case 'recovery':
      return recovery(node, ctx);
    case 'negate': {
      const m = evaluate(node.operand, ctx);
      return m.value === null ? m : { value: -m.value };
    }
    case 'binary': {
      const l = evaluate(node.left, ctx);
      if (l.value === null) return l;
      const r = evaluate(node.right, ctx);
      if (r.value === null) return r;
      switch (node.op) {
        case '+':
          return { value: l.value + r.value };
        case '-':
          return { value: l.value - r.value };
        case '*':
          return { value: l.value * r.value };
        case '/':
          if (r.value === 0) return { value: null, reason: `\`${printValue(node.right)}\` is 0 in the window, so \`${printValue(node)}\` is undefined` };
          return { value: l.value / r.value };
      }
    }
  }
}

/** Label lookup for selector matching; `status` is matched by class (`5xx`) rather than as text. */
function matchesSelector(selector: readonly LabelMatcher[], label: (name: string) => string | undefined, status: number | undefined): boolean {
  for (const m of selector) {
    const hit = m.label === 'status' && status !== undefined ? statusMatches(status, m.value) : (label(m.label) ?? '') === m.value;
    if (hit !== (m.op === '=')) return false;
  }
  return true;
}

function requestMatches(r: RequestRecord, selector: readonly LabelMatcher[]): boolean {
  return matchesSelector(selector, (name) => (name === 'route' ? r.route : undefined), r.status);
}

function upstreamMatches(u: UpstreamRecord, selector: readonly LabelMatcher[]): boolean {
  const labels: Record<string, string | undefined> = { provider: u.provider, region: u.region, endpoint: u.endpoint };
  return matchesSelector(selector, (name) => labels[name], u.status);
}

function selectorText(selector: readonly LabelMatcher[]): string {
  // Reuse the printer for the selector alone, by printing a metric with an empty name.
  return selector.length ? printValue({ kind: 'router_metric', name: '', selector: [...selector], span: { start: 0, end: 0 } }) : '';
}

function builtin(node: MetricNode, ctx: Context): Measured {
  if (node.name === 'upstream_requests') return { value: ctx.upstream.filter((u) => upstreamMatches(u, node.selector)).length };
  if (node.name === 'throughput') return throughput(node, ctx);
  const picked = ctx.requests.filter((r) => requestMatches(r, node.selector));
  const successes = picked.filter(isSuccess).length;
  switch (node.name) {
    case 'requests':
      return { value: picked.length };
    case 'successes':
      return { value: successes };
    case 'errors':
      return { value: picked.length - successes };
    case 'availability':
    case 'error_rate':
      if (picked.length === 0) return { value: null, reason: `no requests${selectorText(node.selector)} were due in the window, so ${node.name} is undefined` };
      return { value: (node.name === 'availability' ? successes : picked.length - successes) / picked.length };
  }
}

/**
 * Responses completed per second of the window: requests that got an HTTP answer (any
 * status) whose response ended in the window, whenever they were due. A stalled service
 * shows as a throughput dip while the stall lasts, not later when the backlog drains.
 */
function throughput(node: MetricNode, ctx: Context): Measured {
  const [start, end] = ctx.range;
  const seconds = (end - start) / 1000;
  if (seconds <= 0) return { value: null, reason: 'the window lasts 0s, so throughput is undefined' };
  let done = 0;
  for (const r of ctx.data.requests) {
    if (r.status !== 0 && inWindow(r.end, ctx.range, ctx.data.durationMs) && requestMatches(r, node.selector)) done++;
  }
  return { value: done / seconds };
}

function latency(node: LatencyNode, ctx: Context): Measured {
  const d = latencyDistribution(ctx.requests.filter((r) => requestMatches(r, node.selector)).map(latencyOf));
  if (!d) return { value: null, reason: `no requests${selectorText(node.selector)} with a latency were due in the window` };
  return { value: statOf(d, node.stat) };
}

// ---------------------------------------------------------------------------------------
// The herd signature and recovery

function arrivals(node: ArrivalsNode, ctx: Context): Measured {
  const [start, end] = ctx.range;
  const times = ctx.upstream.filter((u) => upstreamMatches(u, node.selector)).map((u) => u.t);
  const counts = binArrivals(times, start, end, node.binMs);
  const what = `upstream_requests${selectorText(node.selector)}`;
  if (counts.length === 0) return { value: null, reason: `the window (${formatOffset(end - start)}) is shorter than one ${node.binMs}ms bin` };
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return { value: null, reason: `no ${what} arrived in the window's ${counts.length} whole bins of ${node.binMs}ms, so ${node.stat} is undefined` };
  if (node.stat === 'peak_to_mean') {
    const p = peakToMean(counts)!;
    ctx.notes.push(`peak ${counts[p.peakBin]} in the ${node.binMs}ms bin at ${formatOffset(start + p.peakBin * node.binMs)}, mean ${(total / counts.length).toFixed(2)} over ${counts.length} bins`);
    return { value: p.value };
  }
  const r = periodicity(counts);
  if (!r.ok) return { value: null, reason: r.reason };
  const quarter = Math.floor(counts.length / 4);
  ctx.notes.push(
    !r.flat
      ? `period ${plainNumber(r.lagBins * node.binMs)}ms: lag ${r.lagBins} bins of ${node.binMs}ms, the highest of lags ${r.fromLag}–${quarter}`
      : r.fromLag === 0
        ? `every ${node.binMs}ms bin holds the same count: no wave`
        : `the autocorrelation stays above 0 to a quarter of the window (${quarter} bins): a trend, no wave`,
  );
  return { value: r.value };
}

/**
 * recovery_time: judged on the whole run, whatever the window, because recovery means
 * staying healthy to the run's end (recovery.ts). Never recovered: +∞, so any `<` fails.
 */
function recovery(node: RecoveryNode, ctx: Context): Measured {
  const { data } = ctx;
  const names = [...new Set(data.faults.map((f) => f.fault))];
  if (node.fault !== null && !names.includes(node.fault)) {
    const guess = closest(node.fault, names);
    return { value: null, reason: `no fault named \`${node.fault}\` in this run (its faults: ${names.join(', ') || 'none'})${guess ? `; did you mean \`${guess}\`?` : ''}` };
  }
  if (names.length === 0) return { value: null, reason: 'this run has no fault: there is no trigger to recover from' };
  const outcome = analyzeRecovery({ series: perSecond(data), durationMs: data.durationMs, faults: data.faults }, node.fault === null ? {} : { trigger: node.fault });
  if (outcome.state === 'undetermined') return { value: null, reason: `the run is too short to tell: ${outcome.summary}` };
  if (outcome.state === 'stuck') {
    ctx.notes.push(`never recovered — ${outcome.summary}`);
    return { value: Infinity };
  }
  ctx.notes.push(`healthy from ${formatOffset(outcome.recoveredAtMs!)} to the end; the trigger ended at ${formatOffset(outcome.triggerEndMs)}`);
  return { value: outcome.recoveredAfterMs! };
}

// ---------------------------------------------------------------------------------------
// Router metrics, from the /metrics scrapes

/** Every metric name the target's /metrics showed in any scrape: sampled, or declared by `# TYPE`. */
function exportedNames(scrapes: readonly MetricScrape[]): Set<string> {
  const known = new Set<string>();
  for (const s of scrapes) {
    for (const d of s.declared ?? []) known.add(d);
    for (const m of s.samples) known.add(m.name);
  }
  return known;
}

function notExportedReason(name: string, known: Set<string>): string {
  const guess = closest(name, [...known].sort());
  return `\`${name}\` is not exported by the target (no such metric in its /metrics${guess ? `; did you mean \`${guess}\`?` : `, which has ${known.size} metric names`})`;
}

/**
 * Why a router metric of the expression cannot be measured at all, whatever the window: the
 * target's /metrics does not export it (judged on every scrape of the run), or was never
 * scraped. Undefined when every name is exported.
 */
function notExported(node: ValueExpr, data: RunData): string | undefined {
  const names: string[] = [];
  const walk = (n: ValueExpr): void => {
    if (n.kind === 'router_metric') names.push(n.name);
    else if (n.kind === 'negate') walk(n.operand);
    else if (n.kind === 'binary') {
      walk(n.left);
      walk(n.right);
    }
  };
  walk(node);
  if (names.length === 0) return undefined;
  if (data.scrapes.length === 0) return `the target exposed no /metrics (no scrapes were taken), so \`${names[0]}\` cannot be measured`;
  const known = exportedNames(data.scrapes);
  const unknown = names.find((n) => !known.has(n));
  return unknown === undefined ? undefined : notExportedReason(unknown, known);
}

function seriesKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function samplesOf(scrape: MetricScrape, node: RouterMetricNode): MetricSample[] {
  return scrape.samples.filter((s) => s.name === node.name && matchesSelector(node.selector, (l) => s.labels[l], undefined));
}

/** The scrape nearest to `t`; on a tie the one that widens the measured span, so a window edge is covered, not cut. */
function nearestScrape(scrapes: readonly MetricScrape[], t: number, tieTowardLater: boolean): MetricScrape {
  let best = scrapes[0]!;
  for (const s of scrapes) {
    const d = Math.abs(s.t - t);
    const bestD = Math.abs(best.t - t);
    if (d < bestD || (d === bestD && (tieTowardLater ? s.t > best.t : s.t < best.t))) best = s;
  }
  return best;
}

/**
 * A counter's increase over the window (value at the scrape nearest its end minus the
 * value at the scrape nearest its start, summed over matching series), or a gauge's
 * value at the last scrape in the window (summed over matching series).
 */
function routerMetric(node: RouterMetricNode, ctx: Context): Measured {
  const { scrapes, range } = ctx;
  const name = node.name;
  if (scrapes.length === 0) return { value: null, reason: `the target exposed no /metrics (no scrapes were taken), so \`${name}\` cannot be measured` };
  const known = exportedNames(scrapes);
  const labelsSeen = new Set<string>();
  let sampled = false;
  for (const s of scrapes) {
    for (const m of s.samples) {
      if (m.name === name) {
        sampled = true;
        for (const l of Object.keys(m.labels)) labelsSeen.add(l);
      }
    }
  }
  if (!known.has(name)) return { value: null, reason: notExportedReason(name, known) };
  // Declared but never sampled (a labelled counter that never moved): its labels are unknown,
  // and it counts as 0 — no failover happened is a measurement, not a missing metric.
  if (!sampled) return isCumulativeName(name) ? { value: 0 } : { value: null, reason: `\`${name}\` is declared in the target's /metrics but has no value yet` };
  // A selector on a label the metric never carries matches nothing forever: a typo, not a zero.
  for (const m of node.selector) {
    if (m.op === '=' && m.value !== '' && !labelsSeen.has(m.label)) {
      const guess = closest(m.label, [...labelsSeen].sort());
      const seen = labelsSeen.size ? [...labelsSeen].sort().join(', ') : 'none';
      return { value: null, reason: `\`${name}\` has no label \`${m.label}\` (labels seen: ${seen})${guess ? `; did you mean \`${guess}\`?` : ''}` };
    }
  }
  const [start, end] = range;
  if (isCumulativeName(name)) {
    const first = nearestScrape(scrapes, start, false);
    const last = nearestScrape(scrapes, end, true);
    if (first === last) {
      return { value: null, reason: `\`${name}\` needs two scrapes around the window to measure an increase, and one scrape is nearest both edges: scrape more often than the window is long` };
    }
    const before = new Map(samplesOf(first, node).map((s) => [seriesKey(s.labels), s.value]));
    let increase = 0;
    for (const s of samplesOf(last, node)) {
      // A series first seen after the window opened started from zero (prom-client creates labelled series on first use).
      const was = before.get(seriesKey(s.labels)) ?? 0;
      // A drop means the counter was reset (router restart): count from zero, as Prometheus's increase() does.
      increase += s.value >= was ? s.value - was : s.value;
    }
    return { value: increase };
  }
  const inside = scrapes.filter((s) => s.t >= start && s.t <= end);
  const latest = inside[inside.length - 1];
  if (!latest) return { value: null, reason: `no scrape of the target's /metrics fell in the window, so gauge \`${name}\` has no value there` };
  const matched = samplesOf(latest, node);
  if (matched.length === 0) {
    return { value: null, reason: `no series of gauge \`${name}\`${selectorText(node.selector)} in the last scrape of the window (t=${formatOffset(latest.t)})` };
  }
  return { value: matched.reduce((sum, s) => sum + s.value, 0) };
}
