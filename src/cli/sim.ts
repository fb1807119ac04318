/**
 * `faultline sim <scenario>`: the scenario in virtual time (src/sim through the API's
 * `simulateScenario`), its reports written as a live run's, the same summary and exit codes
 * as `run` (0 pass, 1 an SLO breached, 2 invalid or unsupported), and one more line: how much
 * time was simulated, in how much wall time, with how many events.
 */
import { join, relative, resolve } from 'node:path';
import { rmdir } from 'node:fs/promises';
import { type Command } from 'commander';
import { formatIssues } from '../config/issues.ts';
import { formatDuration } from '../core/units.ts';
import { simulateScenario, validateScenario } from '../api.ts';
import { formatSummary } from '../report/summary.ts';
import { writeIndex } from '../report/index-page.ts';
import { writeReports } from '../report/reporter.ts';
import { createRunDir } from '../run/run.ts';
import { SimUnsupportedError, type SimOutcome } from '../sim/index.ts';
import { EXIT } from './exit.ts';
import { runVariants, variantNamesFlag } from './variants.ts';
import type { Scenario } from '../model/scenario.ts';
import type { RunResult } from '../model/result.ts';
import { exit } from './exit.ts';
import { bin, override, reporter, REPORTER_HELP, seed, variable } from './flags.ts';
import type { ReporterChoice } from '../report/reporter.ts';
import { exitCodeOf, planReporting, reportRun, type Reporting } from './reporting.ts';

export interface SimFlags {
  env?: Record<string, string>;
  duration?: string;
  seed?: number;
  bin?: number;
  reports: string;
  /** `--variants` (all) or `--variants a,b`: the base and these variants, side by side (variants.ts). */
  variants?: true | string;
  /** `--reporter`, as on run (src/cli/reporting.ts). */
  reporter?: ReporterChoice[];
}

const shown = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
};


/** Registers `sim` on the program. */
export function simCommand(program: Command): void {
  program
    .command('sim')
    .description('simulate a scenario in virtual time: the reference router\'s own code, modelled providers and network, the same reports and exit codes as run (0 pass, 1 SLO breached, 2 invalid or unsupported)')
    .argument('<scenario>', 'scenario YAML file (target.router)')
    .option('-e, --env <KEY=VALUE>', 'a variable for ${KEY} in the scenario file, repeatable', variable)
    .option('--duration <duration>', "simulate this long instead of the scenario's duration, e.g. 10m (faults must still fit)", override('duration'))
    .option('--seed <n>', "seed instead of the scenario's", seed)
    .option('--bin <duration>', 'also keep upstream arrivals in bins this wide (result.json series.upstreamFine), e.g. 10ms', bin)
    .option('-o, --reports <dir>', 'where reports/<scenario>/<run-id>/ go', 'reports')
    .option('--variants [names]', "also simulate the scenario's variants (all, or those named: a,b), each after the base; one table and a comparison page (exit 0 only if every run met its expectation)", variantNamesFlag)
    .option('--reporter <names>', REPORTER_HELP, reporter)
    .action(async (file: string, o: SimFlags) => exit(await simScenarioCommand(file, o)));
}

export async function simScenarioCommand(file: string, flags: SimFlags): Promise<number> {
  const loaded = await validateScenario(resolve(file), {
    vars: flags.env ?? {},
    env: process.env,
    overrides: { ...(flags.duration !== undefined && { duration: flags.duration }), ...(flags.seed !== undefined && { seed: flags.seed }) },
  });
  if (!loaded.ok) {
    console.error(formatIssues(loaded.issues.map((i) => ({ ...i, file: shown(i.file) }))));
    return EXIT.invalid;
  }
  const scenario = loaded.scenario;
  const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
  const reporting = planReporting(flags.reporter, { single: flags.variants === undefined, command: 'sim --variants' });
  if (typeof reporting === 'string') {
    console.error(reporting);
    return EXIT.invalid;
  }
  // The simulator's event loop runs to the end (src/sim is not stopped from outside): the SLO is judged there, as any other.
  const stopping = scenario.slos.filter((slo) => slo.abortOnFail).map((slo) => slo.name);
  if (stopping.length) reporting.human.write(`note: abortOnFail (${stopping.join(', ')}) does not stop a simulation: it runs to its end, and those SLOs are judged there like the others\n`);
  if (flags.variants !== undefined) {
    return runVariants(scenario, flags.variants, {
      reports: flags.reports,
      color,
      out: (t) => reporting.human.write(t),
      runOne: async (s) => {
        const r = await simOne(s, flags, reporting);
        if ('unsupported' in r) {
          console.error(`${s.name}: ${r.unsupported}`);
          return undefined;
        }
        return r;
      },
    });
  }
  const r = await simOne(scenario, flags, reporting);
  if ('unsupported' in r) {
    console.error(`${scenario.name}: ${r.unsupported}`);
    return EXIT.invalid;
  }
  const { result, stats, files } = r;
  await reportRun(result, files, reporting);
  const perSecond = stats.wallMs > 0 ? Math.round(stats.simulatedRequests / (stats.wallMs / 1000)) : 0;
  reporting.human.write(
    `simulated ${formatDuration(result.durationMs)} in ${formatDuration(Math.round(stats.wallMs))} of wall time: ${stats.events} events, ` +
      `${stats.simulatedRequests} requests, ${stats.upstreamCalls} upstream calls (${perSecond} simulated requests/s)\n`,
  );
  // The CI gate, as run's: a broken twin that failed as expected exits 0.
  return exitCodeOf(result, false);
}

/** One scenario simulated and its reports written; what the simulator cannot model, in words. */
async function simOne(scenario: Scenario, flags: SimFlags, reporting: Reporting): Promise<{ result: RunResult; stats: SimOutcome['stats']; dir: string; files: string[] } | { unsupported: string }> {
  let outcome;
  try {
    outcome = await simulateScenario(scenario, { ...(flags.bin !== undefined && { binMs: flags.bin }) });
  } catch (err) {
    if (!(err instanceof SimUnsupportedError)) throw err;
    return { unsupported: err.message };
  }
  const { result, stats } = outcome;
  // The id is the seed's: a second simulation with the same seed gets a numbered folder beside the first.
  let n = 1;
  const { dir } = await createRunDir(join(resolve(flags.reports), scenario.name), result.runId, () => `${result.runId}-${++n}`);
  const files = await writeReports(result, dir, reporting.files);
  // Nothing chosen for a file (`--reporter json=-`): no empty run folder is left behind.
  if (files.length === 0) await rmdir(dir).catch(() => {});
  if (files.length > 0) await writeIndex(resolve(flags.reports)).catch((err) => reporting.human.write(`could not rebuild the reports index: ${err instanceof Error ? err.message : String(err)}\n`));
  return { result, stats, dir, files };
}
