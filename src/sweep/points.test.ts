import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SweepParam } from '../model/sweep.ts';
import { gridPoints, gridSize, randomPoints } from './points.ts';
import { parseParam } from './values.ts';

const param = (arg: string): SweepParam => {
  const r = parseParam(arg);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { ...r.param, side: 'router' };
};

describe('points', () => {
  it('the grid: every combination, first parameter slowest; `on` leaves the setting out', () => {
    const pts = gridPoints([param('retry.budget=on,off'), param('retry.backoff.jitter=none,full')]);
    expect(pts).toEqual([{ 'retry.backoff.jitter': 'none' }, { 'retry.backoff.jitter': 'full' }, { 'retry.budget': 'off', 'retry.backoff.jitter': 'none' }, { 'retry.budget': 'off', 'retry.backoff.jitter': 'full' }]);
  });

  it('property: grid size is the product of the value counts, and every point is distinct', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), (counts) => {
        const params = counts.map((n, i) => ({ path: `p${i}`, values: Array.from({ length: n }, (_, k) => `v${k}`) }));
        const pts = gridPoints(params);
        expect(pts.length).toBe(counts.reduce((a, b) => a * b, 1));
        expect(gridSize(params)).toBe(pts.length);
        expect(new Set(pts.map((p) => JSON.stringify(p))).size).toBe(pts.length);
      }),
    );
  });

  it('property: random points lie within the ranges, use only listed values, and are the same for the same seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer(), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 500 }), (n, seed, lo, span) => {
        const params = [param(`retry.backoff.base=${lo}ms..${lo + span}ms`), param('retry.backoff.jitter=none,full,equal')];
        const a = randomPoints(params, n, seed);
        expect(randomPoints(params, n, seed)).toEqual(a);
        expect(a).toHaveLength(n);
        for (const p of a) {
          const ms = Number.parseFloat(String(p['retry.backoff.base']));
          expect(ms).toBeGreaterThanOrEqual(lo);
          expect(ms).toBeLessThanOrEqual(lo + span);
          expect(['none', 'full', 'equal']).toContain(p['retry.backoff.jitter']);
        }
      }),
    );
  });

  it('Latin hypercube: each of n strata of a range holds exactly one point; list values dealt evenly', () => {
    const n = 40;
    const pts = randomPoints([param('a=0..10'), param('b=x,y,z')], n, 7);
    // With a non-integer range: use one with decimals so values are not rounded.
    const real = randomPoints([param('a=0.5..100.5:2')], n, 7).map((p) => Number(p.a));
    const strata = real.map((v) => Math.min(n - 1, Math.floor(((v - 0.5) / 100) * n)));
    expect(new Set(strata).size).toBe(n);
    const counts = ['x', 'y', 'z'].map((v) => pts.filter((p) => p.b === v).length);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(randomPoints([param('a=0.5..100.5:2')], n, 8)).not.toEqual(randomPoints([param('a=0.5..100.5:2')], n, 7));
  });
});
