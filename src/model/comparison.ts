/**
 * A candidate run compared with a baseline run, as compare.json carries it: per metric, whether
 * the candidate is worse with statistical confidence, and by which test. src/compare builds it,
 * the CLI prints it, src/report draws compare.html from it.
 */

/** Which run a comparison read. */
export interface ComparedRun {
  runId: string;
  scenario: string;
  mode: 'live' | 'sim';
  /** Where it was read from, as given. */
  source: string;
  requests: number;
  durationMs: number;
}

/** The metrics a comparison judges; each is one member of the family Holm's procedure controls. */
export type ComparedMetric = 'latency_p99' | 'latency_shape' | 'error_rate';

/** One metric's verdict: the test, the samples, the effect, the p-value and the level it was judged at. */
export interface MetricVerdict {
  metric: ComparedMetric;
  /** How a person reads the metric: `p99 latency`, `latency distribution`, `error rate`. */
  label: string;
  /**
   * `worse`: the one-sided test that the candidate is worse rejects at the stated confidence,
   * after Holm's correction over the family. `better`: the opposite one-sided test does
   * (informational; never fails a gate). `not_worse`: neither — which is not proof of equality.
   */
  verdict: 'worse' | 'not_worse' | 'better';
  /** The test in words, with its assumptions' knobs: `paired block permutation of Δp99 (1 s blocks, 2000 draws)`. */
  test: string;
  /** Samples each side rests on (requests), and the blocks the permutation exchanges. */
  n: { baseline: number; candidate: number; blocks?: number };
  /** The metric on each side, in `unit`. */
  baseline: number;
  candidate: number;
  unit: 'ms' | 'ratio' | 'D';
  /** The effect in words: `p99 +38 ms (+12 %)`, `error rate 0.10 % → 0.45 %`, `KS D⁺ = 0.21`. */
  effect: string;
  /** The effect as a number: candidate − baseline (ms or a fraction), or the KS statistic D⁺. */
  delta: number;
  /** A confidence interval for `delta` at the comparison's confidence, when the test gives one (two-sided, by block bootstrap). */
  interval?: [number, number];
  /** One-sided p-value that the candidate is worse, as the test gives it. */
  p: number;
  /** `p` after Holm's step-down adjustment over the family: compared with 1 − confidence. */
  pAdjusted: number;
  /** One-sided p-value that the candidate is better (the opposite tail), Holm-adjusted likewise. */
  pBetterAdjusted: number;
  /** What else a reader should know: a design effect applied, too few errors to detect anything. */
  notes: string[];
}

/** A point of an empirical CDF: latency (ms) and the share of requests at or below it. */
export type CdfPoint = [number, number];

/** What compare.html draws for one run: its latency CDF (thinned) and per-second series. */
export interface ComparisonTrace {
  cdf: CdfPoint[];
  /** Per-second p99 latency (ms; null for an empty second) and error rate (null likewise). */
  t: number[];
  p99: (number | null)[];
  errorRate: (number | null)[];
}

export interface Comparison {
  /** The confidence each verdict is stated at, family-wise (Holm): 0.99 means at most 1 % of comparisons of equal runs flag any metric. */
  confidence: number;
  seed: number;
  baseline: ComparedRun;
  candidate: ComparedRun;
  metrics: MetricVerdict[];
  /** Whether any metric is `worse`: the gate. */
  worse: boolean;
  /** What the tests assume, in words (independence of blocks, same schedule). */
  assumptions: string[];
  /** Mismatches a reader must not miss: different scenarios, rates, durations or modes. */
  warnings: string[];
  traces: { baseline: ComparisonTrace; candidate: ComparisonTrace };
}
