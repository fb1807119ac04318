/**
 * What the SLO evaluator produces: a verdict per SLO and a latency summary. Defined here, in
 * the SLO layer, so the pure evaluator depends on nothing above it; the run result
 * (src/report/result.ts) carries them.
 */

/** One SLO's verdict: what was measured, against what, over which window, from how many samples. */
export interface SloVerdict {
  name: string;
  /** The expression as written, e.g. `p99(latency) < 400ms`. */
  expression: string;
  /** The window as written: `run`, `during joke-5xx`, `recovery after joke-5xx (10s)`. */
  window: string;
  /** The window resolved to ms since the run's start; null if it never opened (e.g. its fault never switched). */
  range: [number, number] | null;
  passed: boolean;
  /** The left-hand side measured; null when there was nothing to measure (no samples in the window). */
  value: number | null;
  comparator: '<' | '<=' | '>' | '>=' | '==' | '!=';
  threshold: number;
  /** How value and threshold read: `ratio` and `percent` are fractions (0.995), `ms` milliseconds. */
  unit: 'percent' | 'ratio' | 'ms' | 'count' | 'per_second';
  /** Requests (or upstream calls) the value rests on: a 99.9 % over 20 samples says little. */
  samples: number;
  /** Why it failed, in words, with the margin: "availability 97.1 % < 99 % (short by 1.9 points)". */
  message: string;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}
