/**
 * How fast `faultline sweep` runs in simulation (src/sweep): a 100-point grid of
 * scenarios/incidents/retry-storm.yaml (jitter × base × attempts, 4 × 5 × 5) and a 1000-point
 * random sweep (Latin hypercube over base, cap and attempts, jitter dealt out), each point over
 * the default 3 seeds, on the worker pool (`os.availableParallelism()` threads) — against a
 * baseline in the same run: the same points sequentially in this one thread (`workers: 0`,
 * the same orchestrator, no pool).
 *
 * Aims (issue 12): 100 points in under 10 s, 1000 points in under 2 minutes on this 2-core box.
 *
 * Reported per sweep: wall time, points/s, the parallel ratio (baseline wall ÷ pool wall), the
 * mean simulator time per run (what `simulateScenario` itself costs, from the runs' own
 * timings) and the pool's overhead per run beyond it — so a faster simulator's effect can be
 * projected: wall ≈ runs × (sim ms + overhead) ÷ workers.
 *
 * The 1000-point baseline runs only its first `BASELINE_POINTS` points (sequential time is
 * linear in the points; running all would take as long again as the rest of the benchmark),
 * scaled to 1000; `--full-baseline` runs them all. `--quick`: 20 grid points and 60 random
 * points (a smoke run; the aims are judged on the full sizes only).
 *
 *   node_modules/.bin/node bench/sweep.ts --quick     # about a minute today
 *   node_modules/.bin/node bench/sweep.ts             # long until the simulator is faster
 *   node_modules/.bin/node bench/sweep.ts --only grid # the 100-point grid alone
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../src/api.ts';
import { planSweep, runSweep, type SweepPlan } from '../src/sweep/index.ts';
import type { SweepReport } from '../src/model/sweep.ts';

const QUICK = process.argv.includes('--quick');
/** `--only grid` or `--only random`: one of the two sweeps. */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const FULL_BASELINE = process.argv.includes('--full-baseline');
const BASELINE_POINTS = QUICK ? 10 : 100;
const SCENARIO = fileURLToPath(new URL('../scenarios/incidents/retry-storm.yaml', import.meta.url));

const base = await loadScenario(SCENARIO);

async function plan(params: string[], method: SweepPlan['method']): Promise<SweepPlan> {
  const r = await planSweep({ base, params, objectives: [], method, seeds: 3, load: {} });
  if (!r.ok) throw new Error(r.errors.join('\n'));
  return r.plan;
}

interface Timed {
  wallMs: number;
  report: SweepReport;
}
async function timed(p: SweepPlan, workers: number): Promise<Timed> {
  const t0 = performance.now();
  const report = await runSweep(p, { mode: 'sim', workers, reportsDir: '/nonexistent', id: 'bench' });
  return { wallMs: performance.now() - t0, report };
}

const workers = availableParallelism();
const grid = await plan(
  QUICK
    ? ['retry.backoff.jitter=none,full', 'retry.backoff.base=10ms..200ms:5', 'retry.maxAttempts=3,5']
    : ['retry.backoff.jitter=none,full,equal,decorrelated', 'retry.backoff.base=10ms..200ms:5', 'retry.maxAttempts=1..5'],
  { kind: 'grid' },
);
const random = await plan(['retry.backoff.jitter=none,full,equal,decorrelated', 'retry.backoff.base=5ms..200ms:log5', 'retry.backoff.cap=200ms..2s', 'retry.maxAttempts=1..6'], {
  kind: 'random',
  n: QUICK ? 60 : 1000,
  seed: 1,
  sampling: 'latin-hypercube',
});

function line(name: string, points: number, runs: number, pool: Timed, baselineMs: number, baselineNote: string, aimMs: number | undefined) {
  const all = pool.report.points.flatMap((p) => p.runs);
  const simMs = all.reduce((a, r) => a + r.wallMs, 0) / Math.max(1, all.length);
  const perRunWall = (pool.wallMs * workers) / runs;
  console.log(
    `${name}: ${points} points × 3 seeds = ${runs} runs on ${workers} workers: ${(pool.wallMs / 1000).toFixed(1)} s, ${(points / (pool.wallMs / 1000)).toFixed(1)} points/s` +
      ` | baseline (one thread${baselineNote}): ${(baselineMs / 1000).toFixed(1)} s | parallel ratio ${(baselineMs / pool.wallMs).toFixed(2)}×` +
      ` | sim ${simMs.toFixed(0)} ms per run (in the workers), pool overhead ${(perRunWall - simMs).toFixed(0)} ms per run` +
      (aimMs === undefined ? '' : ` | aim < ${aimMs / 1000} s: ${pool.wallMs < aimMs ? 'met' : 'NOT met'}`),
  );
}

if (ONLY !== 'random') {
  // Grid: pool, then the same points in this thread.
  const gPool = await timed(grid, workers);
  const gBase = await timed(grid, 0);
  line(QUICK ? 'grid (quick)' : 'grid', grid.points.length, grid.points.length * 3, gPool, gBase.wallMs, '', QUICK ? undefined : 10_000);
}

if (ONLY !== 'grid') {
  const rPool = await timed(random, workers);
  const sample = FULL_BASELINE ? random : { ...random, points: random.points.slice(0, BASELINE_POINTS) };
  const rBase = await timed(sample, 0);
  const scaled = (rBase.wallMs * random.points.length) / sample.points.length;
  line(QUICK ? 'random (quick)' : 'random', random.points.length, random.points.length * 3, rPool, scaled, FULL_BASELINE ? '' : `, first ${sample.points.length} points scaled`, QUICK ? undefined : 120_000);
}
