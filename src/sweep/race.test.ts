import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SweepObjective, SweepRun } from '../model/sweep.ts';
import { aggregatePoint } from './aggregate.ts';
import { nearestMiss, paretoFront, recommend } from './front.ts';
import { breachOf, raceSeeds } from './race.ts';
import type { TaskReply } from './sim-task.ts';

const SEEDS = [41, 42, 43];
const OBJECTIVES: SweepObjective[] = [
  { name: 'p99', expr: 'p99(latency)', direction: 'min', unit: 'ms' },
  { name: 'amp', expr: 'upstream_requests / requests', direction: 'min', unit: 'ratio' },
];
const THRESHOLDS = [400, 1.5];

/** A point × seed: each of two SLOs met or not, two objective values. */
const cell = fc.record({ slo: fc.tuple(fc.boolean(), fc.boolean()), p99: fc.integer({ min: 50, max: 900 }), amp: fc.integer({ min: 100, max: 300 }) });
/** Mostly passing, so the front is often non-empty. */
const matrix = fc.array(fc.array(cell.map((c) => ({ ...c, slo: [c.slo[0] || c.p99 % 3 !== 0, c.slo[1] || c.amp % 4 !== 0] as const })), { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 12 });

function runOf(c: { slo: readonly [boolean, boolean]; p99: number; amp: number }, seed: number): SweepRun {
  return {
    seed,
    passed: c.slo[0] && c.slo[1],
    slos: [
      { passed: c.slo[0], value: c.p99, margin: c.slo[0] ? 400 - c.p99 : -1 },
      { passed: c.slo[1], value: c.amp / 100, margin: c.slo[1] ? 1 : -0.1 },
    ],
    objectives: [c.p99, c.amp / 100],
    metrics: { amplification: c.amp / 100, p50: 1, p95: 2, p99: c.p99, upstream: 10, cost: null },
    wallMs: 1,
  };
}

/** The sweep's verdict from a race over the matrix, replies arriving in a shuffled order. */
async function verdict(m: Parameters<typeof runOf>[0][][], allSeeds: boolean, delays: number[]) {
  let calls = 0;
  const raced = await raceSeeds({
    points: m.length,
    seeds: SEEDS,
    allSeeds,
    sloNames: ['latency', 'amplification'],
    run: async (i, k): Promise<TaskReply> => {
      const d = delays[calls++ % delays.length]!;
      for (let t = 0; t < d; t++) await Promise.resolve();
      return { ok: true, run: runOf(m[i]![k]!, SEEDS[k]!) };
    },
  });
  const points = raced.map((r, i) => {
    expect(r.finished).toBe(true);
    const runs = r.replies.map((x) => (x.ok ? x.run : undefined)!);
    return { ...aggregatePoint(i, {}, runs, OBJECTIVES, THRESHOLDS), ...(r.stoppedEarly !== undefined && { stoppedEarly: r.stoppedEarly }) };
  });
  const front = paretoFront(points, OBJECTIVES);
  return { points, calls, front, rec: recommend(points, front, OBJECTIVES) ?? null, miss: nearestMiss(points, SEEDS.length) };
}

describe('seeds in rounds (racing)', () => {
  it('gives the same feasible set, front and recommendation as every seed, in fewer or as many runs; each infeasible point stops at its first breaching seed', async () => {
    await fc.assert(
      fc.asyncProperty(matrix, fc.array(fc.nat(5), { minLength: 1, maxLength: 7 }), async (m, delays) => {
        const all = await verdict(m, true, delays);
        const race = await verdict(m, false, delays);
        expect(all.calls).toBe(m.length * SEEDS.length);
        expect(race.points.map((p) => p.feasible)).toEqual(all.points.map((p) => p.feasible));
        expect(race.front).toEqual(all.front);
        expect(race.rec).toEqual(all.rec);
        // A feasible point is the same point either way (its spreads over every seed).
        for (const p of race.points.filter((x) => x.feasible)) expect(p).toEqual(all.points[p.id]);
        let expected = 0;
        m.forEach((row, i) => {
          const first = row.findIndex((c) => !(c.slo[0] && c.slo[1]));
          const ran = first < 0 ? SEEDS.length : first + 1;
          expected += ran;
          const p = race.points[i]!;
          expect(p.seedsRun).toBe(ran);
          expect(p.runs.map((r) => r.seed)).toEqual(SEEDS.slice(0, ran));
          expect(p.stoppedEarly !== undefined).toBe(first >= 0 && first < SEEDS.length - 1);
          if (p.stoppedEarly) expect(p.stoppedEarly).toMatch(new RegExp(`^seed ${SEEDS[first]} breached (latency|amplification)`));
        });
        expect(race.calls).toBe(expected);
        // Nothing feasible: a nearest miss either way, the racing one judged from the seeds run.
        expect(race.miss === undefined).toBe(all.miss === undefined);
      }),
      { numRuns: 200 },
    );
  });

  it('queues a point’s next seed as soon as its seed passed, without waiting for the round’s stragglers', async () => {
    const started: string[] = [];
    const gates = new Map<string, () => void>();
    const pass = runOf({ slo: [true, true], p99: 100, amp: 100 }, 0);
    const done = raceSeeds({
      points: 2,
      seeds: SEEDS,
      allSeeds: false,
      sloNames: ['a', 'b'],
      run: (i, k) => {
        started.push(`${i}:${k}`);
        return new Promise((resolve) => gates.set(`${i}:${k}`, () => resolve({ ok: true, run: pass })));
      },
    });
    expect(started).toEqual(['0:0', '1:0']);
    gates.get('0:0')!();
    await new Promise((r) => setTimeout(r, 0));
    // Point 1's first seed is still running; point 0's second has started.
    expect(started).toEqual(['0:0', '1:0', '0:1']);
    for (const k of ['1:0', '0:1']) gates.get(k)!();
    await new Promise((r) => setTimeout(r, 0));
    for (const k of ['1:1', '0:2']) gates.get(k)!();
    await new Promise((r) => setTimeout(r, 0));
    gates.get('1:2')!();
    const out = await done;
    expect(out.every((p) => p.finished && p.replies.length === 3)).toBe(true);
  });

  it('an interrupted point (its run rejected) is unfinished; an error stops the point without a breach', async () => {
    const out = await raceSeeds({
      points: 2,
      seeds: SEEDS,
      allSeeds: false,
      sloNames: [],
      run: (i) => (i === 0 ? Promise.reject(new Error('stopped')) : Promise.resolve({ ok: false, error: 'base above cap' })),
    });
    expect(out[0]).toMatchObject({ finished: false, replies: [] });
    expect(out[1]).toMatchObject({ finished: true, replies: [{ ok: false }] });
    expect(out[1]!.stoppedEarly).toBeUndefined();
  });

  it('names the breached SLOs, or a run that did not complete', () => {
    const r = runOf({ slo: [false, true], p99: 500, amp: 100 }, 42);
    expect(breachOf(r, ['latency', 'amp'])).toBe('seed 42 breached latency');
    expect(breachOf({ ...r, passed: false, slos: r.slos.map((s) => ({ ...s, passed: true })) }, [])).toBe('seed 42 did not complete');
    expect(breachOf({ ...r, passed: true }, [])).toBeUndefined();
  });
});
