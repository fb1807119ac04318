import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRng, type Rng } from '../../core/rng.ts';
import { backoff, backoffCeiling, backoffDelay, JITTERS, type BackoffOptions } from './backoff.ts';

/** An Rng that replays fast-check's draws, so shrinking finds the smallest bad draw. */
const replay = (draws: number[]): Rng => {
  let i = 0;
  return { next: () => draws[i++ % draws.length]! };
};

const options = fc
  .record({
    base: fc.double({ min: 0.1, max: 5_000, noNaN: true }),
    capFactor: fc.double({ min: 1, max: 1_000, noNaN: true }),
    jitter: fc.constantFrom(...JITTERS),
  })
  .map(({ base, capFactor, jitter }): BackoffOptions => ({ base, cap: base * capFactor, jitter }));
const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('backoffDelay', () => {
  it('stays within [0, min(cap, base·2ⁿ)] for none, full and equal jitter, and above half of it for equal', () => {
    fc.assert(
      fc.property(options, fc.integer({ min: 0, max: 2_000 }), fc.array(draw, { minLength: 1 }), (opts, n, draws) => {
        fc.pre(opts.jitter !== 'decorrelated');
        const ceiling = Math.min(opts.cap, opts.base * 2 ** n);
        const d = backoffDelay(opts, n, opts.base, replay(draws));
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(ceiling);
        if (opts.jitter === 'none') expect(d).toBe(ceiling);
        if (opts.jitter === 'equal') expect(d).toBeGreaterThanOrEqual(ceiling / 2);
      }),
    );
  });

  it('keeps decorrelated jitter within [base, cap] and under 3× the previous delay over a whole sequence', () => {
    fc.assert(
      fc.property(options, fc.array(draw, { minLength: 1, maxLength: 40 }), (opts, draws) => {
        const o = { ...opts, jitter: 'decorrelated' as const };
        const rng = replay(draws);
        let previous = o.base;
        for (let n = 0; n < draws.length; n++) {
          const d = backoffDelay(o, n, previous, rng);
          expect(d).toBeGreaterThanOrEqual(o.base);
          expect(d).toBeLessThanOrEqual(o.cap);
          expect(d).toBeLessThanOrEqual(Math.max(o.base, previous * 3));
          previous = d;
        }
      }),
    );
  });

  it('does not overflow for huge retry numbers: the ceiling is the cap', () => {
    const opts: BackoffOptions = { base: 100, cap: 30_000, jitter: 'none' };
    expect(backoffCeiling(opts, 5_000)).toBe(30_000);
  });

  it('spreads full jitter over the whole envelope: mean ≈ ceiling / 2', () => {
    // 10 000 draws of U(0, 800): the sample mean's standard error is 800/√12/100 ≈ 2.3, so a
    // ±15 band is over 6 standard errors (a false failure far below 1e-9 for any seed).
    const opts: BackoffOptions = { base: 100, cap: 800, jitter: 'full' };
    const rng = seededRng(7);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) sum += backoffDelay(opts, 3, 100, rng);
    expect(Math.abs(sum / 10_000 - 400)).toBeLessThan(15);
  });
});

describe('backoff', () => {
  it('doubles without jitter until the cap', () => {
    const delays = backoff({ base: 50, cap: 300, jitter: 'none' }, seededRng(1));
    expect([1, 2, 3, 4, 5].map(() => delays.next())).toEqual([50, 100, 200, 300, 300]);
  });

  it('is reproducible from the seed', () => {
    const seq = (seed: number) => {
      const d = backoff({ base: 10, cap: 1_000, jitter: 'decorrelated' }, seededRng(seed));
      return Array.from({ length: 6 }, () => d.next());
    };
    expect(seq(42)).toEqual(seq(42));
    expect(seq(42)).not.toEqual(seq(43));
  });
});
