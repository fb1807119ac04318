import { describe, expect, it } from 'vitest';
import { mean as sampleMean, sampleStandardDeviation } from 'simple-statistics';
import { cdf, lognormalParams, mean, normalCdf, probit, quantile, sample, Z99, type Distribution } from './distributions.ts';
import { seededRng } from './rng.ts';

/**
 * One-sample Kolmogorov–Smirnov statistic D = sup |Fₙ(x) − F(x)|, ties grouped so that a
 * point mass (a Pareto cap) compares the ECDF's jump with the CDF's own.
 */
function ksStatistic(xs: number[], F: (x: number) => number): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j < n && s[j] === s[i]) j++;
    const v = s[i]!;
    const before = F(v - 1e-9 * Math.max(1, Math.abs(v)));
    d = Math.max(d, Math.abs(i / n - before), Math.abs(j / n - F(v)));
    i = j;
  }
  return d;
}

/** The KS critical value at level α for n samples (Kolmogorov's asymptotic form, fine for n ≥ 100). */
const ksCritical = (n: number, alpha: number) => Math.sqrt(-Math.log(alpha / 2) / 2) / Math.sqrt(n);

const draw = (d: Distribution, n: number, seed: number) => {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => sample(d, rng));
};

const CASES: [string, Distribution][] = [
  ['uniform', { distribution: 'uniform', min: 40, max: 160 }],
  ['normal', { distribution: 'normal', mean: 100, stddev: 20 }],
  ['normal, heavily truncated at 0', { distribution: 'normal', mean: 10, stddev: 20 }],
  ['lognormal', { distribution: 'lognormal', p50: 20, p99: 120 }],
  ['pareto', { distribution: 'pareto', scale: 10, shape: 2.5 }],
  ['pareto with a cap', { distribution: 'pareto', scale: 10, shape: 1.2, cap: 200 }],
  ['exponential', { distribution: 'exponential', mean: 50 }],
];

describe('the standard normal', () => {
  it('Φ⁻¹ hits published quantiles, and Φ(Φ⁻¹(p)) = p', () => {
    expect(probit(0.99)).toBeCloseTo(2.3263478740408408, 8);
    expect(probit(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(probit(0.5)).toBe(0);
    expect(probit(0.01)).toBeCloseTo(-2.3263478740408408, 8);
    expect(probit(1e-6)).toBeCloseTo(-4.753424308822899, 7);
    expect(probit(0)).toBe(-Infinity);
    expect(probit(1)).toBe(Infinity);
    expect(Z99).toBeCloseTo(probit(0.99), 9);
    // Φ comes from the error function (|error| < 1.2e-7), Φ⁻¹ from Acklam's rational form:
    // two independent routes, so agreeing round trips check both.
    for (let p = 0.001; p < 1; p += 0.001) expect(Math.abs(normalCdf(probit(p)) - p)).toBeLessThan(2e-7);
  });
});

describe('delay distributions', () => {
  it('lognormal: μ = ln p50, σ = (ln p99 − ln p50)/z₀.₉₉, so its quantiles are the ones given', () => {
    const d: Distribution = { distribution: 'lognormal', p50: 20, p99: 120 };
    const { mu, sigma } = lognormalParams(20, 120);
    expect(mu).toBeCloseTo(Math.log(20), 12);
    expect(sigma).toBeCloseTo(Math.log(6) / 2.3263478740408408, 12);
    expect(quantile(d, 0.5)).toBeCloseTo(20, 9);
    expect(quantile(d, 0.99)).toBeCloseTo(120, 6);
    expect(cdf(d, 120)).toBeCloseTo(0.99, 6);
  });

  it('quantile functions match closed forms', () => {
    expect(quantile({ distribution: 'pareto', scale: 10, shape: 1.5 }, 0.5)).toBeCloseTo(10 * 2 ** (1 / 1.5), 9);
    expect(quantile({ distribution: 'pareto', scale: 10, shape: 1.5, cap: 12 }, 0.5)).toBe(12);
    expect(quantile({ distribution: 'uniform', min: 10, max: 30 }, 0.25)).toBe(15);
    expect(quantile({ distribution: 'exponential', mean: 50 }, 0.5)).toBeCloseTo(50 * Math.LN2, 9);
    // Truncated normal: median = μ + σ·Φ⁻¹(F₀ + ½(1 − F₀)), F₀ = Φ(−μ/σ) = Φ(−0.5) = 0.30854.
    expect(quantile({ distribution: 'normal', mean: 10, stddev: 20 }, 0.5)).toBeCloseTo(10 + 20 * probit(0.30853754 + 0.5 * 0.69146246), 4);
    expect(quantile({ distribution: 'normal', mean: 10, stddev: 0 }, 0.3)).toBe(10);
    expect(sample({ distribution: 'fixed', value: 42 }, seededRng(1))).toBe(42);
  });

  // Kolmogorov–Smirnov at α = 0.001 on n = 20,000 draws: D must stay below
  // √(−ln(α/2)/2)/√n = 0.0138. A sampler off by a few percent anywhere in its range fails.
  const n = 20_000;
  const alpha = 0.001;
  it.each(CASES)('%s: samples follow the CDF (KS, n = 20,000, α = 0.001)', (_, d) => {
    const xs = draw(d, n, 11);
    expect(xs.every((x) => x >= 0)).toBe(true);
    expect(ksStatistic(xs, (x) => cdf(d, x))).toBeLessThan(ksCritical(n, alpha));
  });

  // Sample mean within its 99.9 % normal interval, x̄ ± 3.29·s/√n, n = 20,000 (all these cases have finite variance).
  it.each(CASES)('%s: the sample mean matches the mean (99.9 % interval, n = 20,000)', (_, d) => {
    const xs = draw(d, n, 12);
    const half = (3.29 * sampleStandardDeviation(xs)) / Math.sqrt(n);
    expect(Math.abs(sampleMean(xs) - mean(d))).toBeLessThan(half);
  });

  it('lognormal given p50 20 and p99 120: the shares of samples below them are 50 % and 99 % (99.9 % binomial intervals, n = 20,000)', () => {
    const d: Distribution = { distribution: 'lognormal', p50: 20, p99: 120 };
    const xs = draw(d, n, 13);
    const share = (t: number) => xs.filter((x) => x <= t).length / n;
    // p ± 3.29·√(p(1−p)/n): 0.5 ± 0.0116 and 0.99 ± 0.0023.
    expect(Math.abs(share(20) - 0.5)).toBeLessThan(3.29 * Math.sqrt(0.25 / n));
    expect(Math.abs(share(120) - 0.99)).toBeLessThan(3.29 * Math.sqrt((0.99 * 0.01) / n));
  });

  it('a Pareto cap is a point mass of the right weight', () => {
    const d: Distribution = { distribution: 'pareto', scale: 10, shape: 1.2, cap: 200 };
    const xs = draw(d, n, 14);
    const atCap = xs.filter((x) => x === 200).length / n;
    const p = (10 / 200) ** 1.2; // P(X ≥ cap) = (x_m/cap)^α = 0.0275
    expect(Math.abs(atCap - p)).toBeLessThan(3.29 * Math.sqrt((p * (1 - p)) / n));
    expect(Math.max(...xs)).toBe(200);
  });

  it('the same seed gives the same delays', () => {
    const d: Distribution = { distribution: 'lognormal', p50: 20, p99: 120 };
    expect(draw(d, 50, 3)).toEqual(draw(d, 50, 3));
  });
});
