/**
 * The comparison on synthetic runs, where the truth is known: identical runs never flag,
 * p-values are probabilities, swapping the runs flips a one-sided result, and a tail, a
 * spread and an error-rate regression are each caught by the test meant for it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { seededRng } from '../core/rng.ts';
import { compareRuns, CompareInputError } from './compare.ts';
import { errorTest } from './errors.ts';
import { fisherGreater } from './stats.ts';
import { latencyTests } from './latency.ts';
import { lognormal, request, resultOf, syntheticRun } from './testing.ts';

const fast = { draws: 400, resamples: 200 };

describe('compareRuns', () => {
  it('never flags a run against itself, and every p-value is a probability', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 2, max: 8 }), fc.double({ min: 0, max: 0.05, noNaN: true }), (seed, seconds, errorRate) => {
        const run = syntheticRun(seededRng(seed), seconds, 40, (r) => lognormal(r, 20, 0.6), errorRate);
        const c = compareRuns(run, { ...run, runId: 'copy' }, { seed, ...fast });
        expect(c.worse).toBe(false);
        for (const m of c.metrics) {
          expect(m.verdict).not.toBe('worse');
          for (const p of [m.p, m.pAdjusted, m.pBetterAdjusted]) {
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p).toBeLessThanOrEqual(1);
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it('swapping baseline and candidate turns worse into better', () => {
    const rng = seededRng(3);
    const base = syntheticRun(rng, 20, 50, (r) => lognormal(r, 20, 0.4), 0.001);
    const slow = syntheticRun(rng, 20, 50, (r) => lognormal(r, 20, 0.4) + (r.next() < 0.05 ? 300 : 0), 0.02);
    const forward = compareRuns(base, slow, { seed: 1, ...fast });
    const backward = compareRuns(slow, base, { seed: 1, ...fast });
    for (const metric of ['latency_p99', 'error_rate'] as const) {
      expect(forward.metrics.find((m) => m.metric === metric)!.verdict).toBe('worse');
      expect(backward.metrics.find((m) => m.metric === metric)!.verdict).toBe('better');
    }
    expect(backward.worse).toBe(false);
  });

  it('is the same for the same seed (pure), and states test, n, effect and p for each metric', () => {
    const rng = seededRng(9);
    const a = syntheticRun(rng, 10, 50, (r) => lognormal(r, 10, 0.5));
    const b = syntheticRun(rng, 10, 50, (r) => lognormal(r, 10, 0.5));
    const one = compareRuns(a, b, { seed: 4, ...fast });
    expect(compareRuns(a, b, { seed: 4, ...fast })).toEqual(one);
    for (const m of one.metrics) {
      expect(m.test).not.toBe('');
      expect(m.n.baseline).toBe(500);
      expect(m.effect).not.toBe('');
    }
    expect(one.metrics.map((m) => m.metric)).toEqual(['latency_p99', 'latency_shape', 'error_rate']);
  });

  it('catches a spread with the median unmoved, which a test on the centre misses', () => {
    // Same median, log-sd 0.3 against 0.6: Mann–Whitney would see no shift; D⁺ and p99 do.
    const rng = seededRng(11);
    const base = syntheticRun(rng, 30, 50, (r) => lognormal(r, 20, 0.3));
    const wide = syntheticRun(rng, 30, 50, (r) => lognormal(r, 20, 0.6));
    const c = compareRuns(base, wide, { seed: 2, ...fast });
    expect(c.metrics.find((m) => m.metric === 'latency_shape')!.verdict).toBe('worse');
    expect(c.metrics.find((m) => m.metric === 'latency_p99')!.verdict).toBe('worse');
  });

  it('says how to get samples when a result has none', () => {
    const run = syntheticRun(seededRng(1), 2, 10, () => 5);
    const { samples: _, ...old } = run;
    expect(() => compareRuns(old, run)).toThrow(CompareInputError);
    expect(() => compareRuns(old, run)).toThrow(/Re-run the scenario with this version/);
  });

  it('warns about what differs beyond the system: scenario, mode, load, duration', () => {
    const a = syntheticRun(seededRng(1), 5, 20, () => 5);
    const b = syntheticRun(seededRng(2), 5, 20, () => 5, 0, { scenario: { name: 'other', file: 'o.yaml' }, mode: 'live', runId: 'b' });
    const w = compareRuns(a, b, fast).warnings.join('\n');
    expect(w).toMatch(/different scenarios/);
    expect(w).toMatch(/one run is sim, the other live/);
  });
});

describe('the block permutation', () => {
  it('is exact by enumeration for few blocks: the smallest p-value is 1/2^blocks', () => {
    // Every candidate request slower than every baseline request, 4 blocks: only the identity is as extreme.
    const base = resultOf(Array.from({ length: 40 }, (_, i) => request(i * 100, 10 + (i % 5))));
    const slow = resultOf(Array.from({ length: 40 }, (_, i) => request(i * 100, 100 + (i % 5))));
    const r = latencyTests({ baseline: dec(base), candidate: dec(slow), blockMs: 1000, quantile: 0.99, draws: 2000, resamples: 100, confidence: 0.99, rng: seededRng(1) });
    expect(r.exact).toBe(true);
    expect(r.draws).toBe(16);
    // The identity and the full swap's mirror image: only the identity has Δ ≥ observed.
    expect(r.quantile.pWorse).toBeCloseTo(1 / 16, 12);
    expect(r.ks.pWorse).toBeCloseTo(1 / 16, 12);
  });

  it('exchanges blocks freely when the runs differ in length, and says so', () => {
    const a = syntheticRun(seededRng(1), 10, 20, (r) => lognormal(r, 10, 0.4));
    const b = syntheticRun(seededRng(2), 20, 20, (r) => lognormal(r, 10, 0.4));
    const c = compareRuns(a, b, fast);
    expect(c.assumptions.join(' ')).toMatch(/exchanged freely/);
    expect(c.metrics[0].test).toMatch(/exchanged freely/);
  });
});

describe('autocorrelation', () => {
  it('blocks of a second hold the level where a test of independent requests does not', () => {
    // Each second of a run has its own slowdown (a GC pause, a noisy neighbour: log-sd 0.3),
    // shared by its requests; two runs of the same system. At 90 % (so that 60 pairs measure
    // the rate), 1 s blocks flag about 10 % of pairs at most; requests as their own blocks
    // (20 ms at 50/s: the independent-requests test) flag far more.
    const run = (rng: ReturnType<typeof seededRng>) => {
      const slow = Array.from({ length: 20 }, () => lognormal(rng, 1, 0.3));
      return syntheticRun(rng, 20, 50, (r, due) => slow[Math.floor(due / 1000)] * lognormal(r, 20, 0.3));
    };
    let blocked = 0;
    let naive = 0;
    const pairs = 40;
    for (let i = 0; i < pairs; i++) {
      const rng = seededRng(1000 + i);
      const a = run(rng);
      const b = run(rng);
      if (compareRuns(a, b, { confidence: 0.9, seed: i, draws: 300, resamples: 50 }).worse) blocked++;
      if (compareRuns(a, b, { confidence: 0.9, seed: i, draws: 300, resamples: 50, blockMs: 20 }).worse) naive++;
    }
    console.log(`autocorrelated pairs flagged at 90 %: 1 s blocks ${blocked}/${pairs}, independent requests ${naive}/${pairs}`);
    // 40 pairs at a true rate of 10 %: more than 10 has probability < 1 %.
    expect(blocked).toBeLessThanOrEqual(10);
    expect(naive).toBeGreaterThan(2 * Math.max(blocked, 4));
  }, 60_000);
});

describe('the error-rate test', () => {
  it("is Fisher's exact test on independent failures (no design effect)", () => {
    const rng = seededRng(5);
    const base = dec(syntheticRun(rng, 60, 100, () => 5, 0.001));
    const worse = dec(syntheticRun(rng, 60, 100, () => 5, 0.005));
    const r = errorTest({ baseline: base, candidate: worse, blockMs: 1000 });
    expect(r.designEffect).toBeLessThan(1.3);
    expect(r.pWorse).toBeLessThan(0.001);
  });

  it('widens for clustered failures: 30 failures in one second are not 30 independent ones', () => {
    const quiet = resultOf(Array.from({ length: 6000 }, (_, i) => request(i * 10, 5, i % 1000 === 7 ? 503 : 200)));
    // The same 6 scattered failures, and a burst of 24 in second 30 (a connection that dropped its in-flight requests).
    const burst = resultOf(Array.from({ length: 6000 }, (_, i) => request(i * 10, 5, i % 1000 === 7 || (i >= 3000 && i < 3024) ? 503 : 200)));
    const r = errorTest({ baseline: dec(quiet), candidate: dec(burst), blockMs: 1000 });
    expect(r.designEffect).toBeGreaterThan(3);
    // Fisher's test on the raw counts, 30 against 6 of 6000, would call it certain (p ≈ 3.4e-5).
    const plain = fisherGreater(30, 5970, 6, 5994);
    expect(plain).toBeLessThan(1e-4);
    expect(r.pWorse).toBeGreaterThan(100 * plain);
  });
});

import { decodeSamples } from '../model/samples.ts';
import type { RunResult } from '../model/result.ts';
function dec(r: RunResult) {
  return decodeSamples(r.samples!);
}
