/**
 * Seeds in rounds ("racing"): every point's first seed first, its next seed only while every
 * seed so far met every SLO. A point is feasible only when every seed meets every SLO, so the
 * first breaching seed settles it — infeasible whatever its other seeds do — and its worst
 * seed is known. The feasible points still run every seed, so their aggregates, the front
 * (drawn among feasible points only) and the knee are the same as with every seed run; only
 * the infeasible points carry fewer seeds (their spreads are over the seeds run, and the
 * nearest miss, when nothing is feasible, is judged from those).
 *
 * No round barrier: a point's seed k+1 is handed to `run` the moment its seed k passed, so a
 * pool never idles waiting for a round's stragglers. `run` does the queueing (the pool's
 * FIFO, or a serial chain); this file only decides what to run next. Pure apart from `run`.
 */
import type { SweepRun } from '../model/sweep.ts';
import type { TaskReply } from './sim-task.ts';

export interface RaceOptions {
  points: number;
  seeds: readonly number[];
  /** Every seed of every point (`--all-seeds`): the spread of every point, no early stop. */
  allSeeds: boolean;
  /** Runs point `i`'s seed number `k`; rejects when the sweep was stopped (that point stays unfinished). */
  run: (i: number, k: number) => Promise<TaskReply>;
  /** Names of the scenario's SLOs, for the stop reason. */
  sloNames: readonly string[];
  onResult?: (i: number, k: number, r: TaskReply) => void;
}

export interface RacedPoint {
  /** Replies in seed order, for the seeds run. */
  replies: TaskReply[];
  /** Every seed that was to run has answered (false: interrupted). */
  finished: boolean;
  /** Why later seeds were not run: `seed 42 breached herd-peak` (undefined: every seed ran, or not finished). */
  stoppedEarly?: string;
}

/** Why a seed's run settles its point infeasible, or undefined when it passed. */
export function breachOf(run: SweepRun, sloNames: readonly string[]): string | undefined {
  if (run.passed) return undefined;
  const failed = run.slos.map((s, k) => (s.passed ? undefined : (sloNames[k] ?? `SLO ${k + 1}`))).filter((x): x is string => x !== undefined);
  return failed.length ? `seed ${run.seed} breached ${failed.join(', ')}` : `seed ${run.seed} did not complete`;
}

export async function raceSeeds(o: RaceOptions): Promise<RacedPoint[]> {
  const out: RacedPoint[] = Array.from({ length: o.points }, () => ({ replies: [], finished: false }));
  const n = o.seeds.length;
  const jobs: Promise<void>[] = [];
  const launch = (i: number, k: number): void => {
    jobs.push(
      o.run(i, k).then(
        (r) => settle(i, k, r),
        () => undefined,
      ),
    );
  };
  const settle = (i: number, k: number, r: TaskReply): void => {
    const p = out[i]!;
    p.replies[k] = r;
    o.onResult?.(i, k, r);
    if (o.allSeeds) {
      p.finished = p.replies.filter((x) => x !== undefined).length === n;
      return;
    }
    // An error (a combination the router rejects) is the same on every seed: stop too.
    const stop = r.ok ? breachOf(r.run, o.sloNames) : r.error;
    if (stop !== undefined || k + 1 === n) {
      p.finished = true;
      if (stop !== undefined && k + 1 < n && r.ok) p.stoppedEarly = stop;
      return;
    }
    launch(i, k + 1);
  };
  if (o.allSeeds) for (let i = 0; i < o.points; i++) for (let k = 0; k < n; k++) launch(i, k);
  else for (let i = 0; i < o.points; i++) launch(i, 0);
  // Jobs are appended while earlier ones settle: wait until no new one appeared.
  for (let seen = 0; seen < jobs.length; ) {
    const upTo = jobs.length;
    await Promise.all(jobs.slice(seen, upTo));
    seen = upTo;
  }
  return out;
}
