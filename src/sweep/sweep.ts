/**
 * A sweep end to end: the planned points' seeds run in rounds (race.ts: a point's next seed
 * only while its seeds so far met every SLO; `allSeeds` for every one), in virtual time on a
 * pool of worker threads or live one after another, each point aggregated over the seeds it
 * ran, the front and the recommendation; `confirmSweep` re-runs the recommended point live. The orchestrator
 * above src/run and src/sim: only the API and the CLI use it.
 *
 * Interrupted (the signal aborts): no new task starts, the pool is terminated, and the report
 * holds the points whose every seed to run finished, `status: 'aborted'`.
 */
import { availableParallelism } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunResult } from '../model/result.ts';
import { SWEEP_FORMAT_VERSION, type Spread, type SweepConfirmation, type SweepPoint, type SweepReport, type SweepRun } from '../model/sweep.ts';
import { executeRun } from '../run/run.ts';
import { siblingModule } from '../run/worker.ts';
import { renderSweepCsv } from '../report/sweep.ts';
import { renderSweepHtml } from '../report/sweep-html.ts';
import { aggregatePoint } from './aggregate.ts';
import { nearestMiss, paretoFront, recommend } from './front.ts';
import { measurable, summarizeRun } from './measure.ts';
import type { SweepPlan } from './plan.ts';
import { createPool } from './pool.ts';
import { breachOf, raceSeeds, type RacedPoint } from './race.ts';
import { pointScenario, runSimTask, type SimInit, type SimTask, type TaskReply } from './sim-task.ts';
import { describeWindow, parseSlo, verdictUnit } from '../slo/index.ts';

export interface SweepRunOptions {
  mode: 'sim' | 'live';
  /** Worker threads for sim (default `os.availableParallelism()`); 0 runs in this thread. */
  workers?: number;
  signal?: AbortSignal;
  /** Live runs' reports go under here (`<scenario>/<run-id>/`). */
  reportsDir: string;
  binMs?: number;
  /**
   * Every seed of every point (`--all-seeds`). Default: seeds in rounds, a point's next seed
   * only while all its seeds so far met every SLO (src/sweep/race.ts) — the same feasible
   * points, front and recommendation, far fewer runs when many points fail.
   */
  allSeeds?: boolean;
  /** After each finished point × seed; `total`: the runs there will be at most (it shrinks as points stop early). */
  onProgress?: (done: number, total: number) => void;
  /** `startedAt` and `id` come from this clock reading (ms). */
  now?: number;
  id: string;
}

/** Runs the plan; the report (aborted when the signal fired). */
export async function runSweep(plan: SweepPlan, opts: SweepRunOptions): Promise<SweepReport> {
  const started = performance.now();
  const n = plan.seeds.length;
  const allSeeds = opts.allSeeds === true;
  // Runs still to come at most: the plan's, less the seeds a point skipped when it stopped early.
  let total = plan.points.length * n;
  let done = 0;
  let workers = 1;
  const taskOf = (i: number, k: number): SimTask => ({ scenario: plan.points[i]!.scenario, set: plan.points[i]!.set, seed: plan.seeds[k]! });
  const aborted = () => opts.signal?.aborted === true;
  const stopped = () => Promise.reject(new Error('the sweep was stopped'));
  /** One run at a time (in this thread, or live): each waits for the previous one. */
  const serial = (one: (i: number, k: number) => Promise<TaskReply>) => {
    let chain: Promise<unknown> = Promise.resolve();
    return (i: number, k: number): Promise<TaskReply> => {
      const p = chain.then(() => (aborted() ? stopped() : one(i, k)));
      chain = p.catch(() => undefined);
      return p;
    };
  };
  const race = (run: (i: number, k: number) => Promise<TaskReply>) =>
    raceSeeds({
      points: plan.points.length,
      seeds: plan.seeds,
      allSeeds,
      run,
      sloNames: plan.base.slos.map((s) => s.name),
      onResult: (i, k, r) => {
        const stop = allSeeds ? undefined : r.ok ? breachOf(r.run, []) : r.error;
        if (stop !== undefined) total -= n - k - 1;
        opts.onProgress?.(++done, total);
      },
    });
  let raced: RacedPoint[];

  if (opts.mode === 'sim') {
    const init: SimInit = { scenarios: plan.scenarios, objectives: plan.objectiveSlos, ...(opts.binMs !== undefined && { binMs: opts.binMs }) };
    workers = Math.max(0, Math.min(opts.workers ?? availableParallelism(), total));
    if (workers === 0) {
      raced = await race(serial((i, k) => runSimTask(init, taskOf(i, k))));
    } else {
      const pool = createPool<SimTask, TaskReply>(siblingModule('./sim-worker.ts', import.meta.url), workers, init);
      const onAbort = () => void pool.close();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        raced = await race((i, k) => pool.run(taskOf(i, k)));
      } finally {
        opts.signal?.removeEventListener('abort', onAbort);
        await pool.close();
      }
    }
  } else {
    raced = await race(
      serial(async (i, k) => {
        const t = taskOf(i, k);
        const s = pointScenario(plan.scenarios[t.scenario]!, t.set, t.seed);
        const t0 = performance.now();
        try {
          const o = await executeRun(s, { reportsDir: opts.reportsDir, ...(opts.signal && { signal: opts.signal }), ...(opts.binMs !== undefined && { binMs: opts.binMs }) });
          // An interrupted live run measured only part of the point: not a seed of it.
          if (o.result.status === 'aborted' && aborted()) return stopped();
          return { ok: true, run: summarizeRun(o.result, o.data, plan.objectiveSlos, performance.now() - t0) };
        } catch (err) {
          return { ok: false, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
  }

  const shapes = plan.base.slos.map((s) => sloShape(s.expr));
  const thresholds = shapes.map((s) => s.threshold);
  const points: SweepPoint[] = [];
  plan.points.forEach((p, i) => {
    const { replies, finished, stoppedEarly } = raced[i]!;
    if (!finished) return; // unfinished: aborted
    const error = replies.find((r): r is { ok: false; error: string } => !r.ok)?.error;
    const ok = replies.filter((r): r is { ok: true; run: SweepRun } => r.ok).map((r) => r.run);
    const q = aggregatePoint(i, p.settings, error === undefined ? ok : [], plan.objectives, thresholds, error);
    points.push(stoppedEarly === undefined ? q : { ...q, stoppedEarly });
  });
  // Cost becomes an objective by default when the router charged anything.
  const objectives = [...plan.objectives];
  const named = objectives.some((o) => o.expr === 'provider_cost_total');
  const charged = points.some((p) => p.runs.some((r) => (r.metrics.cost ?? 0) > 0));
  if (!named && charged && objectives.length > 0 && plan.defaultObjectives) {
    objectives.push({ name: 'cost', expr: 'provider_cost_total', direction: 'min', unit: 'count' });
    for (const p of points) {
      for (const r of p.runs) r.objectives.push(r.metrics.cost);
      const q = aggregatePoint(p.id, p.settings, p.runs, objectives, thresholds, p.error);
      p.objectives = q.objectives;
      p.worst = q.worst;
    }
  }
  const front = paretoFront(points, objectives);
  const rec = recommend(points, front, objectives);
  const miss = rec ? undefined : nearestMiss(points, n);
  const wallMs = performance.now() - started;
  const allRuns = points.flatMap((p) => p.runs);
  const now = opts.now ?? Date.now();
  return {
    formatVersion: SWEEP_FORMAT_VERSION,
    kind: 'faultline-sweep',
    id: opts.id,
    scenario: { name: plan.base.name, file: plan.base.file },
    mode: opts.mode,
    startedAt: new Date(now).toISOString(),
    status: aborted() || points.length < plan.points.length ? 'aborted' : 'completed',
    method: plan.method,
    seeds: plan.seeds,
    seedRounds: allSeeds ? 'all' : 'race',
    params: plan.params,
    objectives,
    slos: plan.base.slos.map((s, k) => ({ name: s.name, expression: s.expr, window: describeWindow(s.window), threshold: shapes[k]!.threshold, unit: shapes[k]!.unit })),
    planned: plan.points.length,
    points,
    front,
    recommended: rec ?? null,
    nearestMiss: miss ?? null,
    timing: { wallMs: Math.round(wallMs), runs: allRuns.length, plannedRuns: plan.points.length * n, workers, msPerRun: allRuns.length ? Math.round(allRuns.reduce((a, r) => a + r.wallMs, 0) / allRuns.length) : 0 },
  };
}

/** An SLO's threshold and unit from its expression (a point with no runs has no verdicts to read them from). */
function sloShape(expr: string): { threshold: number; unit: string } {
  const p = parseSlo(expr);
  return p.ok ? { threshold: p.expr.threshold.value, unit: verdictUnit(p.expr) } : { threshold: 0, unit: 'count' };
}

/**
 * The agreement rule for `--confirm`: an SLO agrees when live gives the verdict every seed of
 * the simulation gave (the recommended point is feasible: met). An objective agrees when the
 * live value lies within the simulation's range over its seeds widened on each side by its own
 * width, and by at least 10 % of the median: the seeds show how much one run of this point
 * varies by chance alone, live is one more draw (with the model's error on top), and three
 * seeds that happen to agree closely should not make a tolerance of zero.
 */
export const AGREEMENT_RULE =
  'an SLO agrees when live gives the verdict every simulated seed gave; an objective when the live value lies within the seeds’ range widened on each side by the range’s width, and by at least 10 % of the median';

export function objectiveTolerance(s: Spread): number {
  return Math.max(s.max - s.min, 0.1 * Math.abs(s.median));
}

export function agreement(point: SweepPoint, live: SweepRun, result: Pick<RunResult, 'slos'>, objectiveNames: readonly string[]): Pick<SweepConfirmation, 'agreed' | 'slos' | 'objectives'> {
  const slos = result.slos.map((s, k) => {
    const sim = point.slos[k]?.passed ?? false;
    return { name: s.name, sim, live: s.passed, liveValue: s.value, agreed: sim === s.passed };
  });
  const objectives = objectiveNames.map((name, k) => {
    const sim = point.objectives[k] ?? null;
    const v = live.objectives[k] ?? null;
    const tolerance = sim ? objectiveTolerance(sim) : null;
    const agreed = sim !== null && v !== null && tolerance !== null && v >= sim.min - tolerance && v <= sim.max + tolerance;
    return { name, sim, live: v, tolerance, agreed };
  });
  return { agreed: slos.every((s) => s.agreed) && objectives.every((o) => o.agreed), slos, objectives };
}

/** Runs the recommended point live over the scenario's seed and says whether live agreed. */
export async function confirmSweep(plan: SweepPlan, report: SweepReport, opts: { reportsDir: string; signal?: AbortSignal; binMs?: number; onStart?: () => void }): Promise<SweepConfirmation | undefined> {
  if (!report.recommended) return undefined;
  const id = report.recommended.point;
  const planned = plan.points[id]!;
  const point = report.points.find((p) => p.id === id)!;
  const seed = plan.base.seed;
  const s = pointScenario(plan.scenarios[planned.scenario]!, planned.set, seed);
  const t0 = performance.now();
  opts.onStart?.();
  const o = await executeRun(s, { reportsDir: opts.reportsDir, ...(opts.signal && { signal: opts.signal }), ...(opts.binMs !== undefined && { binMs: opts.binMs }) });
  const slos = report.objectives.map((ob) => {
    const m = measurable(ob.expr);
    return m.ok ? m.slo : ob.expr;
  });
  const live = summarizeRun(o.result, o.data, slos, performance.now() - t0);
  return { point: id, seed, runDir: o.dir, status: o.result.status, rule: AGREEMENT_RULE, ...agreement(point, live, o.result, report.objectives.map((x) => x.name)) };
}

/** Writes sweep.csv, sweep.json and sweep.html into `dir`; their paths. */
export async function writeSweepReports(report: SweepReport, dir: string, scenarioText: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files = [join(dir, 'sweep.csv'), join(dir, 'sweep.json'), join(dir, 'sweep.html')];
  await writeFile(files[0]!, renderSweepCsv(report));
  await writeFile(files[1]!, JSON.stringify(report, null, 2) + '\n');
  await writeFile(files[2]!, renderSweepHtml(report, scenarioText));
  return files;
}
