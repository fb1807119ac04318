/**
 * How fast `faultline sweep` runs in simulation (src/sweep): a 100-point grid of
 * scenarios/incidents/retry-storm.yaml (jitter × base × attempts, 4 × 5 × 5) and a 1000-point
 * random sweep (Latin hypercube over jitter, base, cap and attempts), each point over the
 * default 3 seeds in rounds (src/sweep/race.ts: a point's next seed only while its seeds so
 * far met every SLO, as `faultline sweep` does by default; `--all-seeds` runs every seed), on
 * the worker pool (`os.availableParallelism()` threads) — against a baseline in the same run:
 * the same runs (exactly the point × seeds the race ran) one after another in this one thread
 * (`runSimTask`, what each worker runs per task, without the pool). Reported: runs done
 * against planned (points × seeds).
 *
 * Aims (issue 12): 100 points in under 10 s, 1000 points in under 2 minutes on this 2-core box.
 *
 * The two take turns, 10 points at a time (pool, then baseline), so both see the same
 * neighbours on a shared machine — run back to back, a neighbour's burst lands on one side
 * only and the ratio means nothing. The pool is started once (its start-up, until every
 * worker has answered one task, is reported apart). For the 1000 points the baseline takes
 * every 10th turn only and is scaled (sequential time is linear in the points); with
 * `--full-baseline` it takes every turn.
 *
 * Reported per sweep: the pool's wall time, points/s, the parallel ratio (baseline ÷ pool), the
 * simulator's own time per run (each run's `simulateScenario` wall time, from the runs) and the
 * pool's overhead per run beyond it — so a faster simulator can be projected:
 * wall ≈ runs × (sim ms + overhead) ÷ workers. `runSweep`'s aggregation and the front are
 * milliseconds for 1000 points and not timed here.
 *
 *   node_modules/.bin/node bench/sweep.ts --quick       # 20 grid and 60 random points
 *   node_modules/.bin/node bench/sweep.ts --only grid   # the 100-point grid alone
 *   node_modules/.bin/node bench/sweep.ts               # both
 *   node_modules/.bin/node bench/sweep.ts --all-seeds   # every seed of every point
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../src/api.ts';
import { planSweep, runSimTask, type SimInit, type SimTask, type SweepPlan } from '../src/sweep/index.ts';
import { createPool } from '../src/sweep/pool.ts';
import type { TaskReply } from '../src/sweep/sim-task.ts';
import { raceSeeds } from '../src/sweep/race.ts';

const QUICK = process.argv.includes('--quick');
const FULL_BASELINE = process.argv.includes('--full-baseline');
const ALL_SEEDS = process.argv.includes('--all-seeds');
/** `--only grid` or `--only random`: one of the two sweeps. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const TURN_POINTS = 10;
const SEEDS = 3;
const SCENARIO = fileURLToPath(new URL('../scenarios/incidents/retry-storm.yaml', import.meta.url));
const workers = availableParallelism();

const base = await loadScenario(SCENARIO);

async function plan(params: string[], method: SweepPlan['method']): Promise<SweepPlan> {
  const r = await planSweep({ base, params, objectives: [], method, seeds: SEEDS, load: {} });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.plan;
}

const tasksOf = (p: SweepPlan, points: SweepPlan['points']): SimTask[] => points.flatMap((pt) => p.seeds.map((seed) => ({ scenario: pt.scenario, set: pt.set, seed })));

async function bench(name: string, p: SweepPlan, baselineEvery: number, aimMs: number | undefined): Promise<void> {
  const init: SimInit = { scenarios: p.scenarios, objectives: p.objectiveSlos };
  const t0 = performance.now();
  const pool = createPool<SimTask, TaskReply>(new URL('../src/sweep/sim-worker.ts', import.meta.url), workers, init);
  // Start-up: every worker loaded and through one task (the first point's first seed each).
  await Promise.all(Array.from({ length: workers }, () => pool.run(tasksOf(p, p.points.slice(0, 1))[0]!)));
  const startupMs = performance.now() - t0;
  let poolMs = 0;
  let baseMs = 0;
  let basePoints = 0;
  let simMs = 0;
  let runs = 0;
  let failed = 0;
  let feasible = 0;
  let stoppedEarly = 0;
  try {
    for (let i = 0, turn = 0; i < p.points.length; i += TURN_POINTS, turn++) {
      const slice = p.points.slice(i, i + TURN_POINTS);
      const tasks: SimTask[] = [];
      let t = performance.now();
      const raced = await raceSeeds({
        points: slice.length,
        seeds: p.seeds,
        allSeeds: ALL_SEEDS,
        sloNames: p.base.slos.map((s) => s.name),
        run: (j, k) => {
          const task = { scenario: slice[j]!.scenario, set: slice[j]!.set, seed: p.seeds[k]! };
          tasks.push(task);
          return pool.run(task);
        },
      });
      poolMs += performance.now() - t;
      const replies = raced.flatMap((r) => r.replies);
      feasible += raced.filter((r) => r.replies.length === SEEDS && r.replies.every((x) => x.ok && x.run.passed)).length;
      stoppedEarly += raced.filter((r) => r.stoppedEarly !== undefined).length;
      for (const r of replies) {
        if (r.ok) {
          simMs += r.run.wallMs;
          runs++;
        } else failed++;
      }
      if (turn % baselineEvery === 0) {
        t = performance.now();
        for (const task of tasks) await runSimTask(init, task);
        baseMs += performance.now() - t;
        basePoints += slice.length;
      }
    }
  } finally {
    await pool.close();
  }
  const points = p.points.length;
  const planned = points * SEEDS;
  const done = runs + failed;
  const baseline = (baseMs * points) / basePoints;
  const wall = poolMs + startupMs;
  const perRunSim = simMs / Math.max(1, runs);
  const overhead = (poolMs * workers) / done - perRunSim;
  console.log(
    `${name}: ${points} points × ${SEEDS} seeds: ${done} of ${planned} planned runs (${ALL_SEEDS ? 'every seed' : `seeds in rounds, ${stoppedEarly} points stopped early`}; ${feasible} feasible) on ${workers} workers: ${(wall / 1000).toFixed(1)} s (start-up ${(startupMs / 1000).toFixed(1)} s), ${(points / (wall / 1000)).toFixed(2)} points/s` +
      ` | baseline, one thread${basePoints < points ? ` (${basePoints} of ${points} points, scaled)` : ''}: ${(baseline / 1000).toFixed(1)} s | parallel ratio ${(baseline / poolMs).toFixed(2)}×` +
      ` | sim ${perRunSim.toFixed(0)} ms per run in the workers, pool overhead ${overhead.toFixed(0)} ms per run` +
      (failed ? ` | ${failed} runs failed` : '') +
      (aimMs === undefined ? '' : ` | aim < ${aimMs / 1000} s: ${wall < aimMs ? 'met' : 'NOT met'}`),
  );
}

/**
 * The machine's own parallel ratio right now: the same pure CPU loop `workers` times in this
 * thread, against once in each of `workers` threads. On a box shared with other work (this one
 * runs four other engineers' jobs, and the kernel's autogroup gives each session one fair
 * share), it shows how much parallelism there was to have: the sweep's ratio is read against it.
 */
async function machineRatio(): Promise<number> {
  const body = 'let x = 0; for (let i = 0; i < n; i++) x = (x * 1103515245 + 12345) % 2147483647; return x;';
  const spin = new Function('n', body) as (n: number) => number;
  const n = 3e7;
  let t = performance.now();
  for (let i = 0; i < workers; i++) spin(n);
  const seq = performance.now() - t;
  const { Worker } = await import('node:worker_threads');
  const code = `const { parentPort } = require('node:worker_threads'); parentPort.on('message', (n) => { ${body.replace('return x;', 'parentPort.postMessage(x);')} });`;
  const ws = Array.from({ length: workers }, () => new Worker(code, { eval: true }));
  t = performance.now();
  await Promise.all(ws.map((w) => new Promise((r) => { w.once('message', r); w.postMessage(n); })));
  const par = performance.now() - t;
  await Promise.all(ws.map((w) => w.terminate()));
  return seq / par;
}

console.log(`machine: ${workers} threads of a CPU loop run ${(await machineRatio()).toFixed(2)}× as fast as one thread doing the same work (the most the pool can get now)`);

if (ONLY !== 'random') {
  const grid = await plan(
    QUICK
      ? ['retry.backoff.jitter=none,full', 'retry.backoff.base=10ms..200ms:5', 'retry.maxAttempts=3,5']
      : ['retry.backoff.jitter=none,full,equal,decorrelated', 'retry.backoff.base=10ms..200ms:5', 'retry.maxAttempts=1..5'],
    { kind: 'grid' },
  );
  await bench(QUICK ? 'grid (quick)' : 'grid', grid, 1, QUICK ? undefined : 10_000);
}
if (ONLY !== 'grid') {
  const random = await plan(['retry.backoff.jitter=none,full,equal,decorrelated', 'retry.backoff.base=5ms..200ms:log5', 'retry.backoff.cap=200ms..2s', 'retry.maxAttempts=1..6'], {
    kind: 'random',
    n: QUICK ? 60 : 1000,
    seed: 1,
    sampling: 'latin-hypercube',
  });
  await bench(QUICK ? 'random (quick)' : 'random', random, FULL_BASELINE ? 1 : QUICK ? 3 : 10, QUICK ? undefined : 120_000);
}
