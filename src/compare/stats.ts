/**
 * The textbook statistics a comparison rests on, each checked against SciPy's outputs
 * (stats.test.ts against test/fixtures/compare/scipy-reference.json, made by make-reference.py beside it): Fisher's exact test (one-sided),
 * the two-sample Kolmogorov–Smirnov statistics, the inverted-CDF quantile, and Holm's
 * step-down adjustment. Pure functions of their inputs.
 */
import { gammaln } from 'simple-statistics';

/** ln C(n, k). */
function lchoose(n: number, k: number): number {
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}

/**
 * Fisher's exact test on the 2×2 table [[a, b], [c, d]], one-sided `greater` (the odds ratio
 * exceeds 1: row 1 has the larger share in column 1), as SciPy's `fisher_exact(table,
 * alternative='greater')`: P(X ≥ a) for X hypergeometric with the table's margins. Exact at
 * any count, so an error rate of 0.1 % against 0.4 % is judged without a normal approximation.
 *
 * @example fisherGreater(3, 1, 1, 3) // 0.2429 (Fisher's tea-tasting lady, 8 cups)
 */
export function fisherGreater(a: number, b: number, c: number, d: number): number {
  for (const v of [a, b, c, d]) if (!Number.isInteger(v) || v < 0) throw new RangeError(`a 2×2 table holds counts, got ${[a, b, c, d].join(', ')}`);
  const row1 = a + b;
  const col1 = a + c;
  const total = a + b + c + d;
  const hi = Math.min(row1, col1);
  const lo = Math.max(0, row1 + col1 - total);
  if (a <= lo) return 1;
  const denominator = lchoose(total, row1);
  const pmf = (k: number) => Math.exp(lchoose(col1, k) + lchoose(total - col1, row1 - k) - denominator);
  // Sum the shorter tail: the upper one, or 1 − the lower one (its terms are then the small ones).
  const mean = (row1 * col1) / total;
  let p = 0;
  if (a >= mean) {
    for (let k = a; k <= hi; k++) {
      const term = pmf(k);
      p += term;
      // Past the mode the terms only shrink: stop once they no longer move the sum.
      if (term < p * 1e-17) break;
    }
  } else {
    let lower = 0;
    for (let k = a - 1; k >= lo; k--) {
      const term = pmf(k);
      lower += term;
      if (term < lower * 1e-17) break;
    }
    p = 1 - lower;
  }
  return Math.min(1, Math.max(0, p));
}

/**
 * Holm's step-down adjustment: each p-value multiplied by the number of hypotheses not yet
 * rejected, made monotone, capped at 1. Rejecting where the adjusted value is below α keeps
 * the family-wise error rate (any false rejection among the family) at most α, whatever the
 * dependence between the tests.
 *
 * @example holm([0.01, 0.04, 0.03]) // [0.03, 0.06, 0.06]
 */
export function holm(ps: readonly number[]): number[] {
  const m = ps.length;
  const order = ps.map((p, i) => [p, i] as const).sort((x, y) => x[0] - y[0]);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

/**
 * The q-quantile of sorted values by the inverted CDF (the smallest value with at least a
 * share q at or below it; NumPy's `method='inverted_cdf'`, R's type 1): always an observed
 * latency, the definition the permutation test recomputes on counts.
 *
 * @example quantileSorted([1, 2, 3, 4], 0.5) // 2
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('the quantile of no values');
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))];
}

/** The rank (0-based) of the q-quantile among n sorted values: `quantileSorted`'s index. */
export function quantileRank(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/**
 * Two-sample Kolmogorov–Smirnov statistics of x against y, as SciPy's `ks_2samp(x, y)`: `d`
 * the largest distance between the empirical CDFs, `dPlus` the largest of F_x − F_y
 * (`alternative='greater'`: x has the more mass at low values, i.e. y is shifted up), `dMinus`
 * the largest of F_y − F_x.
 *
 * @example ks2(baseline, candidate).dPlus // large when the candidate is slower somewhere in the distribution
 */
export function ks2(x: ArrayLike<number>, y: ArrayLike<number>): { d: number; dPlus: number; dMinus: number } {
  const a = Float64Array.from(x).sort();
  const b = Float64Array.from(y).sort();
  if (a.length === 0 || b.length === 0) throw new RangeError('the KS statistic of an empty sample');
  let i = 0;
  let j = 0;
  let dPlus = 0;
  let dMinus = 0;
  while (i < a.length || j < b.length) {
    // Step past every copy of the next value on both sides before measuring: ties move both CDFs at once.
    const v = Math.min(i < a.length ? a[i] : Infinity, j < b.length ? b[j] : Infinity);
    while (i < a.length && a[i] === v) i++;
    while (j < b.length && b[j] === v) j++;
    const diff = i / a.length - j / b.length;
    if (diff > dPlus) dPlus = diff;
    if (-diff > dMinus) dMinus = -diff;
  }
  return { d: Math.max(dPlus, dMinus), dPlus, dMinus };
}
