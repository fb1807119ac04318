import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SweepObjective, SweepPoint, SweepRun } from '../model/sweep.ts';
import { aggregatePoint, sloMargin, spread } from './aggregate.ts';
import { candidates, dominates, nearestMiss, paretoFront, paretoIndices, recommend } from './front.ts';

const MIN: SweepObjective = { name: 'p99(latency)', expr: 'p99(latency)', direction: 'min', unit: 'ms' };
const MIN2: SweepObjective = { name: 'upstream_requests / requests', expr: 'upstream_requests / requests', direction: 'min', unit: 'ratio' };
const MAX: SweepObjective = { name: 'availability', expr: 'availability', direction: 'max', unit: 'percent' };

/** A run with these objective values and SLO verdicts (threshold 1 each; margin from `margins`). */
const run = (seed: number, objectives: number[], margins: number[] = [0.5]): SweepRun => ({
  seed,
  passed: margins.every((m) => m >= 0),
  slos: margins.map((m) => ({ passed: m >= 0, value: 1 - m, margin: m })),
  objectives,
  metrics: { amplification: objectives[1] ?? null, p50: null, p95: null, p99: objectives[0] ?? null, upstream: null, cost: null },
  wallMs: 1,
});

const point = (id: number, runs: SweepRun[], objs: SweepObjective[] = [MIN, MIN2]): SweepPoint => aggregatePoint(id, { x: id }, runs, objs, runs[0]?.slos.map(() => 1) ?? [1]);

describe('a point over its seeds', () => {
  it('spread is min/median/max of the measured values', () => {
    expect(spread([3, null, 1, 2])).toEqual({ min: 1, median: 2, max: 3 });
    expect(spread([4, 1])).toEqual({ min: 1, median: 2.5, max: 4 });
    expect(spread([null])).toBeNull();
  });

  it('margins: headroom positive, shortfall negative, by the comparator', () => {
    expect(sloMargin({ value: 300, threshold: 400, comparator: '<', passed: true })).toBe(100);
    expect(sloMargin({ value: 0.97, threshold: 0.99, comparator: '>=', passed: false })).toBeCloseTo(-0.02);
    expect(sloMargin({ value: null, threshold: 1, comparator: '<', passed: false })).toBeNull();
  });

  it('feasible only when every SLO holds on every seed; the worst seed is what the front compares', () => {
    const p = point(0, [run(1, [100, 1.2]), run(2, [140, 1.1]), run(3, [120, 1.3])]);
    expect(p.feasible).toBe(true);
    expect(p.worst).toEqual([140, 1.3]);
    expect(p.objectives[0]).toEqual({ min: 100, median: 120, max: 140 });
    expect(point(1, [run(1, [100, 1.2]), run(2, [90, 1.1], [-0.1])]).feasible).toBe(false);
    const q = point(2, [run(1, [100, 1.2], [0.2]), run(2, [90, 1.1], [0.6])]);
    expect(q.slos[0]).toMatchObject({ passed: true, failedSeeds: 0, worstMargin: 0.2, worstRelative: 0.2 });
    // A maximised objective's worst seed is its smallest value.
    expect(aggregatePoint(3, {}, [run(1, [0.99]), run(2, [0.95])], [MAX], [1]).worst).toEqual([0.95]);
  });
});

describe('the Pareto front', () => {
  it('dominance respects each objective’s direction', () => {
    expect(dominates([1, 1], [2, 2], [MIN, MIN2])).toBe(true);
    expect(dominates([1, 1], [1, 1], [MIN, MIN2])).toBe(false);
    expect(dominates([1, 0.9], [1, 0.99], [MIN, MAX])).toBe(false);
    expect(dominates([1, 0.99], [1, 0.9], [MIN, MAX])).toBe(true);
  });

  it('property: no front point is dominated, and every other candidate is dominated by a front point', () => {
    const vec = fc.array(fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 })), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(vec, fc.constantFrom<SweepObjective['direction'][]>(['min', 'min', 'min'], ['min', 'max', 'min'], ['max', 'max', 'max']), (vs, dirs) => {
        const d = dirs.map((direction) => ({ direction }));
        const front = new Set(paretoIndices(vs, d));
        expect(front.size).toBeGreaterThan(0);
        for (const i of front) for (let k = 0; k < vs.length; k++) expect(dominates(vs[k]!, vs[i]!, d)).toBe(false);
        for (let k = 0; k < vs.length; k++) if (!front.has(k)) expect([...front].some((i) => dominates(vs[i]!, vs[k]!, d))).toBe(true);
      }),
    );
  });

  it('property: the recommended point is on the front, and only feasible points are', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 50 }), fc.boolean()), { minLength: 1, maxLength: 30 }), (spec) => {
        const pts = spec.map(([a, b, ok], i) => point(i, [run(1, [a, b / 10], [ok ? 0.1 : -0.1])]));
        const front = paretoFront(pts, [MIN, MIN2]);
        for (const id of front) expect(pts[id]!.feasible).toBe(true);
        const rec = recommend(pts, front, [MIN, MIN2]);
        if (candidates(pts).length === 0) expect(rec).toBeUndefined();
        else expect(front).toContain(rec!.point);
      }),
    );
  });

  it('the knee: a balanced point beats the two ends, and the reason says by how much', () => {
    const pts = [
      point(0, [run(1, [100, 2.0])]), // best latency, heavy load
      point(1, [run(1, [105, 1.2])]), // the knee
      point(2, [run(1, [300, 1.1])]), // least load, slow
      point(3, [run(1, [310, 2.1])]), // dominated
    ];
    const front = paretoFront(pts, [MIN, MIN2]);
    expect(front).toEqual([0, 1, 2]);
    const rec = recommend(pts, front, [MIN, MIN2])!;
    expect(rec.point).toBe(1);
    expect(rec.reason).toContain('within 5.0 % of the front');
    expect(rec.reason).toContain('against the front\'s best p99(latency) (point 0): 40 % less upstream_requests / requests');
    expect(rec.reason).toContain('still meets all 1 SLO');
  });

  it('one objective: the best value, ties to the larger SLO margin', () => {
    const pts = [point(0, [run(1, [100], [0.1])], [MIN]), point(1, [run(1, [100], [0.4])], [MIN]), point(2, [run(1, [120], [0.9])], [MIN])];
    const front = paretoFront(pts, [MIN]);
    expect(recommend(pts, front, [MIN])!.point).toBe(1);
  });

  it('nothing feasible: the nearest miss is the point with the fewest failed verdicts', () => {
    const pts = [point(0, [run(1, [1, 1], [-0.5, -0.5]), run(2, [1, 1], [-0.5, 0.1])]), point(1, [run(1, [1, 1], [-0.2, 0.3]), run(2, [1, 1], [0.1, 0.3])])];
    expect(paretoFront(pts, [MIN, MIN2])).toEqual([]);
    const miss = nearestMiss(pts)!;
    expect(miss.point).toBe(1);
    expect(miss.reason).toBe('the fewest failed verdicts: SLO 1 failed on 1 of 2 seeds (worst short by 20 % of its threshold)');
  });
});
