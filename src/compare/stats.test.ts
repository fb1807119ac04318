/**
 * Known answers: every statistic against SciPy/NumPy's outputs on the same numbers
 * (test/fixtures/compare/scipy-reference.json, made by make-reference.py beside it).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fisherGreater, holm, ks2, quantileSorted } from './stats.ts';

interface Reference {
  fisher: { table: [[number, number], [number, number]]; p: number }[];
  ks: { x: number[]; y: number[]; d: number; dPlus: number; dMinus: number }[];
  quantile: { values: number[]; q: number[]; expected: number[] }[];
  holm: { p: number[]; adjusted: number[] }[];
}
const ref = JSON.parse(readFileSync(new URL('../../test/fixtures/compare/scipy-reference.json', import.meta.url), 'utf8')) as Reference;

describe("Fisher's exact test, one-sided greater (scipy.stats.fisher_exact)", () => {
  it.each(ref.fisher.map((f) => [JSON.stringify(f.table), f] as const))('%s', (_, f) => {
    const [[a, b], [c, d]] = f.table;
    const p = fisherGreater(a, b, c, d);
    // Relative to the value: the near-zero p-values (3.4e-5) are the ones that matter.
    expect(Math.abs(p - f.p)).toBeLessThanOrEqual(1e-9 * Math.max(f.p, 1e-3));
  });

  it('rejects a table that is not counts', () => {
    expect(() => fisherGreater(1.5, 2, 3, 4)).toThrow(RangeError);
    expect(() => fisherGreater(-1, 2, 3, 4)).toThrow(RangeError);
  });

  it('the two one-sided p-values of a table sum to 1 + P(X = a)', () => {
    fc.assert(
      fc.property(fc.nat(30), fc.nat(30), fc.nat(30), fc.nat(30), (a, b, c, d) => {
        const greater = fisherGreater(a, b, c, d);
        const less = fisherGreater(b, a, d, c);
        expect(greater).toBeGreaterThanOrEqual(0);
        expect(greater).toBeLessThanOrEqual(1);
        // P(X ≥ a) + P(X ≤ a) ≥ 1, with equality only if P(X = a) = 0, which never happens.
        expect(greater + less).toBeGreaterThanOrEqual(1 - 1e-9);
      }),
    );
  });
});

describe('Kolmogorov–Smirnov statistics (scipy.stats.ks_2samp)', () => {
  it.each(ref.ks.map((k, i) => [`case ${i}: n=${k.x.length}, m=${k.y.length}`, k] as const))('%s', (_, k) => {
    const s = ks2(k.x, k.y);
    expect(s.d).toBeCloseTo(k.d, 12);
    expect(s.dPlus).toBeCloseTo(k.dPlus, 12);
    expect(s.dMinus).toBeCloseTo(k.dMinus, 12);
  });
});

describe('inverted-CDF quantile (numpy.quantile, method="inverted_cdf")', () => {
  it.each(ref.quantile.map((q) => [`n=${q.values.length}`, q] as const))('%s', (_, q) => {
    const sorted = Float64Array.from(q.values).sort();
    expect(q.q.map((p) => quantileSorted(sorted, p))).toEqual(q.expected);
  });
});

describe("Holm's step-down adjustment", () => {
  it.each(ref.holm.map((h) => [JSON.stringify(h.p), h] as const))('%s', (_, h) => {
    const got = holm(h.p);
    got.forEach((v, i) => expect(v).toBeCloseTo(h.adjusted[i], 12));
  });

  it('never lowers a p-value, keeps the order, and caps at 1', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }), (ps) => {
        const adj = holm(ps);
        ps.forEach((p, i) => {
          expect(adj[i]).toBeGreaterThanOrEqual(p);
          expect(adj[i]).toBeLessThanOrEqual(1);
          ps.forEach((q, j) => {
            if (p < q) expect(adj[i]).toBeLessThanOrEqual(adj[j]);
          });
        });
      }),
    );
  });
});
