/**
 * `faultline sweep <scenario> --param path=values …`: a parameter sweep (src/sweep) — every
 * point over several seeds, in virtual time on worker threads (or live with `--live`), the
 * Pareto front over the objectives among the points whose every seed met every SLO, the
 * recommended point and why; `--confirm` re-runs it live and says whether live agreed.
 * Writes reports/<scenario>/sweep-<id>/sweep.{csv,json,html} (or `--out`).
 *
 * Exit code: 0 a feasible recommended point (and, with --confirm, live agreed), 1 no feasible
 * point (or live disagreed), 2 bad input (every problem at once), 130 interrupted (what
 * finished is still written, marked aborted).
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { formatIssues } from '../config/issues.ts';
import { formatDuration } from '../core/units.ts';
import { validateScenario } from '../api.ts';
import { formatSweepSummary } from '../report/sweep.ts';
import { makeRunId } from '../run/run.ts';
import { confirmSweep, planSweep, runSweep, writeSweepReports } from '../sweep/index.ts';
import { EXIT, exit } from './exit.ts';
import { bin, override, variable } from './flags.ts';

export interface SweepFlags {
  param: string[];
  objective: string[];
  grid?: boolean;
  random?: number;
  sampleSeed?: number;
  seeds: number;
  allSeeds?: boolean;
  workers?: number;
  live?: boolean;
  confirm?: boolean;
  out?: string;
  reports: string;
  env?: Record<string, string>;
  duration?: string;
  bin?: number;
}

const collect = (v: string, all: string[]) => [...all, v];
const whole = (what: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${what}: expected a whole number ≥ ${min}, found ${JSON.stringify(v)}`);
  return n;
};

const shown = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
};

/** Registers `sweep` on the program. */
export function sweepCommand(program: Command): void {
  program
    .command('sweep')
    .description('sweep router and scenario settings in simulation (parallel) or live: every point over several seeds, the Pareto front among points meeting every SLO, the recommended point and why (exit 0 a feasible point, 1 none, 2 bad input)')
    .argument('<scenario>', 'scenario YAML file')
    .option('-p, --param <path=values>', 'a setting to sweep, repeatable: a list (retry.backoff.jitter=none,full) or a range (retry.backoff.base=10ms..200ms:5, :log5 geometric, :+10ms a step); paths as in variants', collect, [])
    .option('--grid', 'every combination of the values (default)')
    .option('--random <n>', 'n points by Latin hypercube sampling of the ranges (seeded: --sample-seed)', whole('--random', 1))
    .option('--sample-seed <n>', "seed for --random (default: the scenario's seed)", whole('--sample-seed', 0))
    .option('--seeds <n>', "run each point over this many seeds (the scenario's and the next ones)", whole('--seeds', 1), 3)
    .option('--all-seeds', 'run every seed of every point (default: seeds in rounds — a point\'s next seed only while its seeds so far met every SLO; same feasible points, front and recommendation, fewer runs)')
    .option('--objective <expr>', 'what to optimise, repeatable: a metric expression (p99(latency), upstream_requests / requests, cost); min by default, max: to maximise (default: p99 latency, amplification, cost if any)', collect, [])
    .option('--workers <n>', `worker threads for the simulation (default ${availableParallelism()}: this machine's parallelism; 0 runs in this thread)`, whole('--workers', 0))
    .option('--live', 'run every point live instead of simulated (one after another; slow)')
    .option('--confirm', 're-run the recommended point live over the scenario\'s seed and say whether live agreed')
    .option('--out <dir>', 'where sweep.csv, sweep.json and sweep.html go (default reports/<scenario>/sweep-<id>/)')
    .option('-o, --reports <dir>', 'where live runs\' reports (and the default --out) go', 'reports')
    .option('-e, --env <KEY=VALUE>', 'a variable for ${KEY} in the scenario file, repeatable', variable)
    .option('--duration <duration>', "run each point this long instead of the scenario's duration, e.g. 5s (faults must still fit)", override('duration'))
    .option('--bin <duration>', 'keep upstream arrivals in bins this wide', bin)
    .action(async (file: string, o: SweepFlags) => exit(await sweepScenarioCommand(file, o)));
}

export async function sweepScenarioCommand(file: string, flags: SweepFlags): Promise<number> {
  const err = (t: string) => process.stderr.write(t);
  const out = (t: string) => process.stdout.write(t);
  const problems: string[] = [];
  if (flags.grid && flags.random !== undefined) problems.push('--grid and --random: choose one (the grid is the default)');
  if (flags.live && flags.confirm) problems.push('--confirm re-runs the recommended point live; with --live every point already ran live');
  const load = {
    vars: flags.env ?? {},
    env: process.env,
    overrides: { ...(flags.duration !== undefined && { duration: flags.duration }) },
  };
  const loaded = await validateScenario(resolve(file), load);
  if (!loaded.ok) {
    err(formatIssues(loaded.issues.map((i) => ({ ...i, file: shown(i.file) }))) + '\n');
    return EXIT.invalid;
  }
  const base = loaded.scenario;
  if (!flags.live && base.target.kind !== 'router') problems.push(`${shown(base.file)}: the simulator runs the reference router only (target.router); sweep a url or command target with --live`);
  const method = flags.random !== undefined ? { kind: 'random' as const, n: flags.random, seed: flags.sampleSeed ?? base.seed, sampling: 'latin-hypercube' as const } : { kind: 'grid' as const };
  const planned = await planSweep({ base, params: flags.param, objectives: flags.objective, method, seeds: flags.seeds, load });
  if (!planned.ok) problems.push(...planned.errors);
  if (problems.length || !planned.ok) {
    for (const p of problems) err(`error: ${p}\n`);
    return EXIT.invalid;
  }
  const plan = planned.plan;
  const runs = plan.points.length * plan.seeds.length;
  const started = Date.now();
  const id = makeRunId(started);
  const dir = resolve(flags.out ?? join(flags.reports, base.name, `sweep-${id}`));
  if (flags.live) {
    // Each live run: the load, plus starting and stopping the environment (about 2 s on loopback).
    const estimate = runs * (base.load.durationMs + 2000);
    err(`warning: --live runs ${runs} runs one after another, about ${formatDuration(estimate)}; Ctrl-C stops and writes what finished\n`);
  }
  out(`sweeping ${base.name}: ${plan.points.length} points × ${plan.seeds.length} seeds = ${runs} runs${flags.allSeeds ? '' : ' at most (a point stops at its first breaching seed)'}, ${flags.live ? 'live' : `simulated on ${Math.min(flags.workers ?? availableParallelism(), runs)} worker threads`}\n`);

  const ac = new AbortController();
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    err(`\n${sig}: stopping the sweep and writing what finished (again to quit at once)\n`);
    ac.abort(`interrupted by ${sig}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stderr.isTTY === true;
  try {
    const report = await runSweep(plan, {
      mode: flags.live ? 'live' : 'sim',
      ...(flags.workers !== undefined && { workers: flags.workers }),
      ...(flags.allSeeds && { allSeeds: true }),
      signal: ac.signal,
      reportsDir: resolve(flags.reports),
      ...(flags.bin !== undefined && { binMs: flags.bin }),
      id,
      now: started,
      ...(tty && { onProgress: (done: number, total: number) => err(`\r  ${done}/${total} runs\x1b[K${done === total ? '\n' : ''}`) }),
    });
    if (flags.confirm && report.recommended && !ac.signal.aborted) {
      const c = await confirmSweep(plan, report, {
        reportsDir: resolve(flags.reports),
        signal: ac.signal,
        ...(flags.bin !== undefined && { binMs: flags.bin }),
        onStart: () => out(`confirming #${report.recommended!.point} live (seed ${base.seed}, ${formatDuration(base.load.durationMs)})…\n`),
      });
      if (c) report.confirmation = { ...c, runDir: shown(c.runDir) };
    }
    if (ac.signal.aborted) report.status = 'aborted';
    const text = await readFile(base.file, 'utf8').catch(() => '');
    const files = await writeSweepReports(report, dir, text);
    out(formatSweepSummary(report, { files: files.map(shown), color: process.stdout.isTTY === true && !process.env.NO_COLOR }) + '\n');
    if (ac.signal.aborted) return EXIT.interrupted;
    if (!report.recommended) return EXIT.breached;
    if (report.confirmation && !report.confirmation.agreed) return EXIT.breached;
    return EXIT.pass;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
