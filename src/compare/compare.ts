/**
 * A candidate run against a baseline: per metric, is the candidate worse with statistical
 * confidence? Three one-sided tests, one family:
 *
 * - `latency_p99`: the p99 difference, by a paired permutation of blocks of time (latency.ts),
 *   with a block-bootstrap interval — the tail itself, which a test on the centre misses;
 * - `latency_shape`: the one-sided Kolmogorov–Smirnov D⁺ (the candidate's CDF below the
 *   baseline's somewhere: slower at some quantile), by the same permutation — a change of shape
 *   or spread with the median unmoved, which Mann–Whitney misses (Kayenta's users hit that);
 * - `error_rate`: Fisher's exact test on the failed shares, after a design effect (errors.ts).
 *
 * Holm's procedure over the three keeps "flags none" true with the stated confidence for two
 * runs of the same system (family-wise), under the tests' assumptions, which the result
 * states. Pure: the same results, options and seed give the same comparison.
 */
import { seededRng } from '../core/rng.ts';
import type { Comparison, ComparedRun, ComparisonTrace, MetricVerdict } from '../model/comparison.ts';
import type { RunResult } from '../model/result.ts';
import { decodeSamples, type DecodedSamples } from '../model/samples.ts';
import { errorTest } from './errors.ts';
import { latencyTests } from './latency.ts';
import { holm, quantileSorted } from './stats.ts';

export interface CompareOptions {
  /** Family-wise confidence, e.g. 0.99 (default): each verdict's "worse" is stated at it. */
  confidence?: number;
  /** Seed of the permutation and bootstrap draws (default 1). */
  seed?: number;
  /** The block of due time requests are exchanged in (default 1000 ms: the per-second series' bucket). */
  blockMs?: number;
  /** The tail quantile tested (default 0.99). */
  quantile?: number;
  /** Monte Carlo permutation draws (default 2000) and bootstrap resamples (default 1000). */
  draws?: number;
  resamples?: number;
  /** Where each result was read from, for the report (default its run id). */
  sources?: { baseline?: string; candidate?: string };
}

export const DEFAULT_CONFIDENCE = 0.99;

/** A result that cannot be compared (no samples, none usable); the message says what to do. */
export class CompareInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompareInputError';
  }
}

/** The run's samples, or a CompareInputError saying how to get them. */
export function samplesOf(result: RunResult, source: string): DecodedSamples {
  if (!result.samples) {
    throw new CompareInputError(
      `${source}: this result has no per-request samples (run ${result.runId}, result format ${result.formatVersion}): it was written before faultline kept them. Re-run the scenario with this version of faultline to compare it.`,
    );
  }
  const s = decodeSamples(result.samples);
  if (s.latency.length === 0) throw new CompareInputError(`${source}: run ${result.runId} has no requests to compare`);
  return s;
}

/**
 * @example
 *   const c = compareRuns(baselineResult, candidateResult, { confidence: 0.99 });
 *   c.worse // true when any metric is worse at 99 % family-wise confidence
 */
export function compareRuns(baseline: RunResult, candidate: RunResult, options: CompareOptions = {}): Comparison {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const seed = options.seed ?? 1;
  const blockMs = options.blockMs ?? 1000;
  const quantile = options.quantile ?? 0.99;
  const draws = options.draws ?? 2000;
  const resamples = options.resamples ?? 1000;
  const alpha = 1 - confidence;
  const bSource = options.sources?.baseline ?? baseline.runId;
  const cSource = options.sources?.candidate ?? candidate.runId;
  const b = samplesOf(baseline, bSource);
  const c = samplesOf(candidate, cSource);
  const rng = seededRng(seed);

  const lat = latencyTests({ baseline: b, candidate: c, blockMs, quantile, draws, resamples, confidence, rng });
  const err = errorTest({ baseline: b, candidate: c, blockMs });

  const qName = `p${formatQuantile(quantile)}`;
  const blockWords = `${formatNumber(blockMs / 1000)} s blocks`;
  const scheme = lat.paired ? `paired by time, ${lat.exact ? `all ${lat.draws} swaps` : `${lat.draws} random swaps`}` : `exchanged freely, ${lat.draws} draws`;
  const n = { baseline: b.latency.length, candidate: c.latency.length };
  // The smallest p-value a permutation of this many blocks can give: a short run cannot reach a high confidence.
  const floorP = lat.exact ? 1 / lat.draws : 1 / (1 + lat.draws);
  const floorNote = floorP > alpha / 3 ? [`${lat.blocks} blocks: the smallest p-value this permutation can give is ${formatP(floorP)}, too coarse for ${formatPercent(confidence)} confidence; run longer`] : [];

  const pWorse = [lat.quantile.pWorse, lat.ks.pWorse, err.pWorse];
  const pBetter = [lat.quantile.pBetter, lat.ks.pBetter, err.pBetter];
  const adjusted = holm(pWorse);
  const adjustedBetter = holm(pBetter);
  const verdictOf = (i: number): MetricVerdict['verdict'] => (adjusted[i] < alpha ? 'worse' : adjustedBetter[i] < alpha ? 'better' : 'not_worse');

  const q = lat.quantile;
  const errNotes: string[] = [];
  // Below 1.005 it prints as 1.00: a note would tell a reader nothing.
  if (err.designEffect >= 1.005) errNotes.push(`failures cluster: counts divided by a design effect of ${err.designEffect.toFixed(2)} (from ${err.blocksWithFailures} blocks) before the test`);
  if (err.baseline.failed + err.candidate.failed === 0) errNotes.push('no failed request on either side');

  const metrics: MetricVerdict[] = [
    {
      metric: 'latency_p99',
      label: `${qName} latency`,
      verdict: verdictOf(0),
      test: `permutation of Δ${qName}, one-sided (${blockWords}, ${scheme}); interval by block bootstrap`,
      n: { ...n, blocks: lat.blocks },
      baseline: q.baseline,
      candidate: q.candidate,
      unit: 'ms',
      effect: `${qName} ${formatMs(q.baseline)} → ${formatMs(q.candidate)} (${signed(q.delta, formatMs)}${q.baseline > 0 ? `, ${signed((q.delta / q.baseline) * 100, (v) => `${formatNumber(v)} %`)}` : ''})`,
      delta: q.delta,
      interval: q.interval,
      p: q.pWorse,
      pAdjusted: adjusted[0],
      pBetterAdjusted: adjustedBetter[0],
      notes: floorNote,
    },
    {
      metric: 'latency_shape',
      label: 'latency distribution',
      verdict: verdictOf(1),
      test: `Kolmogorov–Smirnov D⁺, one-sided, p by permutation (${blockWords}, ${scheme})`,
      n: { ...n, blocks: lat.blocks },
      baseline: 0,
      candidate: lat.ks.dPlus,
      unit: 'D',
      effect: `KS D⁺ = ${lat.ks.dPlus.toFixed(3)} (candidate slower), D⁻ = ${lat.ks.dMinus.toFixed(3)} (faster); p50 ${formatMs(quantileOf(b.latency, 0.5))} → ${formatMs(quantileOf(c.latency, 0.5))}`,
      delta: lat.ks.dPlus,
      p: lat.ks.pWorse,
      pAdjusted: adjusted[1],
      pBetterAdjusted: adjustedBetter[1],
      notes: floorNote,
    },
    {
      metric: 'error_rate',
      label: 'error rate',
      verdict: verdictOf(2),
      test: `Fisher's exact test, one-sided${err.designEffect >= 1.005 ? `, counts ÷ design effect ${err.designEffect.toFixed(2)}` : ''}`,
      n: { baseline: err.baseline.n, candidate: err.candidate.n },
      baseline: err.baseline.rate,
      candidate: err.candidate.rate,
      unit: 'ratio',
      effect: `error rate ${formatRate(err.baseline.rate)} → ${formatRate(err.candidate.rate)} (${err.baseline.failed} → ${err.candidate.failed} failed)`,
      delta: err.candidate.rate - err.baseline.rate,
      p: err.pWorse,
      pAdjusted: adjusted[2],
      pBetterAdjusted: adjustedBetter[2],
      notes: errNotes,
    },
  ];

  return {
    confidence,
    seed,
    baseline: runRef(baseline, bSource, b),
    candidate: runRef(candidate, cSource, c),
    metrics,
    worse: metrics.some((m) => m.verdict === 'worse'),
    assumptions: [
      `requests in different ${formatNumber(blockMs / 1000)} s blocks of due time are independent given the schedule; within a block they may depend on each other in any way`,
      lat.paired
        ? 'both runs follow the same schedule (the same faults at the same times), so block t of one is exchangeable with block t of the other when the systems are the same'
        : 'the runs differ in length, so blocks are exchanged freely: this also assumes the blocks of a run are alike over time (no fault window)',
      `family-wise: Holm's procedure over the ${metrics.length} metrics, so two runs of the same system flag any with probability at most ${formatPercent(1 - confidence)}`,
      // Measured, not supposed: two live runs of one build on a loaded shared host flagged (README, "Comparing with a baseline").
      ...(baseline.mode === 'live' || candidate.mode === 'live'
        ? ['live runs also compare the host: a neighbour’s load that changes between the runs (over tens of seconds, beyond any block) reads as a regression; compare runs made on a quiet, like-for-like host, and read the per-second chart before blaming the change']
        : []),
    ],
    warnings: mismatches(baseline, candidate),
    traces: { baseline: traceOf(b, blockMs), candidate: traceOf(c, blockMs) },
  };
}

/** What differs between the runs beyond the system under test: each makes the comparison weaker evidence. */
export function mismatches(b: RunResult, c: RunResult): string[] {
  const out: string[] = [];
  if (b.scenario.name !== c.scenario.name) out.push(`different scenarios: baseline "${b.scenario.name}", candidate "${c.scenario.name}"`);
  if (b.mode !== c.mode) out.push(`one run is ${b.mode}, the other ${c.mode}: a simulated run is not a measurement of the same system`);
  if (b.load.rate !== c.load.rate || b.load.model !== c.load.model || b.load.connections !== c.load.connections) out.push(`different load: ${describeLoad(b)} against ${describeLoad(c)}`);
  if (Math.abs(b.durationMs - c.durationMs) > 1000) out.push(`different durations: ${formatNumber(b.durationMs / 1000)} s against ${formatNumber(c.durationMs / 1000)} s`);
  if (b.status !== 'completed') out.push(`the baseline run was aborted (${b.abortReason ?? 'no reason given'})`);
  if (c.status !== 'completed') out.push(`the candidate run was aborted (${c.abortReason ?? 'no reason given'})`);
  if (b.runId === c.runId) out.push(`both are run ${b.runId}: a run compared with itself`);
  return out;
}

function describeLoad(r: RunResult): string {
  return r.load.model === 'open' ? `open ${r.load.rate}/s` : `closed ${r.load.connections} connections`;
}

function runRef(r: RunResult, source: string, s: DecodedSamples): ComparedRun {
  return { runId: r.runId, scenario: r.scenario.name, mode: r.mode, source, requests: s.latency.length, durationMs: r.durationMs };
}

/** The CDF thinned for drawing (dense in the tail, where regressions show), and per-block p99 and error rate. */
function traceOf(s: DecodedSamples, blockMs: number): ComparisonTrace {
  const sorted = Float64Array.from(s.latency).sort();
  const qs: number[] = [];
  for (let k = 0; k < 90; k++) qs.push(k / 100);
  for (let k = 0; k < 90; k++) qs.push(0.9 + k / 1000);
  for (let k = 0; k <= 100; k++) qs.push(0.99 + k / 10000);
  const cdf: [number, number][] = [];
  for (const q of qs) {
    const v = quantileSorted(sorted, q);
    const at: [number, number] = [round(v, 2), round(q, 4)];
    if (cdf.length && cdf[cdf.length - 1][0] === at[0]) cdf[cdf.length - 1] = at;
    else cdf.push(at);
  }
  const T = s.due.length ? Math.floor(maxOf(s.due) / blockMs) + 1 : 0;
  const buckets: number[][] = Array.from({ length: T }, () => []);
  const failed = new Array<number>(T).fill(0);
  for (let i = 0; i < s.due.length; i++) {
    const t = Math.floor(s.due[i] / blockMs);
    buckets[t].push(s.latency[i]);
    failed[t] += s.failed[i];
  }
  return {
    cdf,
    t: buckets.map((_, t) => round((t * blockMs) / 1000, 3)),
    p99: buckets.map((l) => (l.length ? round(quantileSorted(Float64Array.from(l).sort(), 0.99), 2) : null)),
    errorRate: buckets.map((l, t) => (l.length ? round(failed[t] / l.length, 5) : null)),
  };
}

function maxOf(a: Float64Array): number {
  let m = -Infinity;
  for (const v of a) if (v > m) m = v;
  return m;
}

function quantileOf(a: Float64Array, q: number): number {
  return quantileSorted(Float64Array.from(a).sort(), q);
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

function formatQuantile(q: number): string {
  return formatNumber(q * 100).replace('.', '');
}

function formatNumber(v: number): string {
  const a = Math.abs(v);
  return a >= 100 || Number.isInteger(v) ? String(Math.round(v)) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2).replace(/0$/, '') : v.toPrecision(2);
}

export function formatMs(v: number): string {
  return `${formatNumber(v)} ms`;
}

function signed(v: number, f: (v: number) => string): string {
  return v > 0 ? `+${f(v)}` : v < 0 ? `−${f(-v)}` : f(0);
}

export function formatRate(r: number): string {
  return `${(r * 100).toFixed(r > 0 && r < 0.001 ? 3 : 2)} %`;
}

export function formatPercent(c: number): string {
  return `${formatNumber(Math.round(c * 10000) / 100)} %`;
}

/** A p-value as a reader compares it with 1 − confidence: three significant digits, or `< 0.0001`. */
export function formatP(p: number): string {
  if (p < 0.0001) return '< 0.0001';
  return p >= 0.01 ? p.toFixed(3) : p.toPrecision(2);
}
