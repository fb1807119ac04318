import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { latencyDistribution, summarizeLatency } from './latency.ts';
import { req } from './testing.ts';

/** HDR with 3 significant digits keeps every value within 0.1 % of itself. */
const HDR_PRECISION = 0.001;

function near(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * HDR_PRECISION);
}

describe('latencyDistribution', () => {
  // 1, 2, …, 1000 ms: the q-th percentile is q × 10 ms (the smallest value with q % at or below it).
  const uniform = Array.from({ length: 1000 }, (_, i) => i + 1);

  it('finds quantiles of a known distribution within HDR precision', () => {
    const d = latencyDistribution(uniform)!;
    near(d.at(50), 500);
    near(d.at(90), 900);
    near(d.at(99), 990);
    near(d.at(99.9), 999);
    near(d.at(75), 750);
  });

  it('gives min, max and mean exactly', () => {
    const d = latencyDistribution(uniform)!;
    expect(d.count).toBe(1000);
    expect(d.min).toBe(1);
    expect(d.max).toBe(1000);
    expect(d.mean).toBe(500.5);
    expect(d.at(0)).toBe(1);
    expect(d.at(100)).toBe(1000);
  });

  it('never reports a quantile above the largest value', () => {
    // 512 ms falls in an HDR bucket whose highest equivalent value is 512.255 ms.
    const d = latencyDistribution([100, 512, 512])!;
    expect(d.at(99)).toBe(512);
  });

  it('keeps sub-millisecond resolution (microseconds)', () => {
    const d = latencyDistribution([0.25, 0.25, 0.25, 0.75])!;
    near(d.at(50), 0.25);
  });

  it('is null for no values, and skips values that are not numbers', () => {
    expect(latencyDistribution([])).toBeNull();
    expect(latencyDistribution([Number.NaN])).toBeNull();
    expect(latencyDistribution([Number.NaN, 5])!.count).toBe(1);
  });

  it('orders its quantiles: min ≤ p50 ≤ p90 ≤ p99 ≤ p99.9 ≤ max', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 200 }), (values) => {
        const d = latencyDistribution(values)!;
        const qs = [d.min, d.at(50), d.at(90), d.at(99), d.at(99.9), d.max];
        for (let i = 1; i < qs.length; i++) expect(qs[i]).toBeGreaterThanOrEqual(qs[i - 1]!);
      }),
      { numRuns: 100, seed: 3 },
    );
  });
});

describe('summarizeLatency', () => {
  it('measures from when a request was due, not when it was sent', () => {
    // Due at 0, sent at 900 (the driver lagged), done at 1000: the user waited 1000 ms.
    const s = summarizeLatency([{ due: 0, sent: 900, end: 1000, status: 200, route: 'GET /' }])!;
    expect(s).toEqual({ p50: 1000, p90: 1000, p99: 1000, p999: 1000, max: 1000, mean: 1000 });
  });

  it('counts failed requests too: a timeout waited for its whole timeout', () => {
    const s = summarizeLatency([req(0, 200, 10), req(0, 0, 5000)])!;
    expect(s.max).toBe(5000);
    expect(s.mean).toBe(2505);
  });

  it('is null without requests', () => {
    expect(summarizeLatency([])).toBeNull();
  });
});
