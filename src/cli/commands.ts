import { readdir, stat, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { formatIssues, type ConfigIssue } from '../config/issues.ts';
import { runScenarioWithReports, validateScenario, type LoadOptions } from '../api.ts';
import type { ScenarioOverrides } from '../scenario/overrides.ts';
import type { Scenario } from '../model/scenario.ts';
import { EnvironmentError } from '../run/environment.ts';
import { makeRunId, type RunOutcome } from '../run/run.ts';
import { formatSummary } from '../report/summary.ts';
import { renderSuiteJunit, type SuiteError } from '../report/junit.ts';
import { renderSuiteMarkdown } from '../report/markdown.ts';
import { outcome } from '../report/format.ts';
import type { ReporterChoice } from '../report/reporter.ts';
import type { RunResult } from '../model/result.ts';
import { appendStepSummary, exitCodeOf, planReporting, reportRun, type Reporting } from './reporting.ts';
import { progressLine } from '../load/progress.ts';
import { formatDuration } from '../core/units.ts';
import { probeDocker } from '../toxiproxy/container.ts';
import { parseToxiproxyChoice } from '../toxiproxy/servers.ts';
import { runVariants } from './variants.ts';
import { compareWithBaseline, readBaseline } from './compare.ts';

/** What `run`, `suite` and `validate` take besides the files: `${VAR}` values and overrides. */
export interface LoadFlags {
  /** `-e KEY=VALUE`, repeatable: looked up before the process environment. */
  env?: Record<string, string>;
  duration?: string;
  rate?: string;
  seed?: number;
}

export interface RunFlags extends LoadFlags {
  reports: string;
  toxiproxy?: string;
  progress: boolean;
  /** `--bin`: fine upstream bins in ms. */
  bin?: number;
  /** `run --variants` (all) or `--variants a,b`: each scenario's base and variants, side by side (variants.ts). */
  variants?: true | string;
  /** `--reporter`, repeatable: the reporters (src/cli/reporting.ts); default the screen, json, html, junit. */
  reporter?: ReporterChoice[];
  /** `run --baseline <path>`: compare each run of the baseline's scenario with it (compare.ts). */
  baseline?: string;
  /** `--confidence` of that comparison. */
  confidence?: number;
}

export { EXIT } from './exit.ts';
import { EXIT } from './exit.ts';

const useColor = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

/** A path as the user would type it from here: relative inside the working folder, absolute outside it. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** The `-e` variables and the overrides, as the API takes them. */
function loadOptions(flags: LoadFlags): LoadOptions {
  const overrides: ScenarioOverrides = {
    ...(flags.duration !== undefined && { duration: flags.duration }),
    ...(flags.rate !== undefined && { rate: flags.rate }),
    ...(flags.seed !== undefined && { seed: flags.seed }),
  };
  return { vars: flags.env ?? {}, env: process.env, overrides };
}

/** Loads every file; all problems of all files are reported together before anything starts. */
async function loadAll(files: string[], flags: LoadFlags = {}): Promise<{ scenarios: Scenario[]; issues: ConfigIssue[] }> {
  const scenarios: Scenario[] = [];
  const issues: ConfigIssue[] = [];
  const options = loadOptions(flags);
  for (const file of files) {
    const loaded = await validateScenario(resolve(file), options);
    if (loaded.ok) scenarios.push(loaded.scenario);
    else issues.push(...loaded.issues.map((i) => ({ ...i, file: shown(i.file) })));
  }
  return { scenarios, issues };
}

/**
 * Files as given, and each folder's scenario files (as `suite` takes them, in name order).
 * A folder without any is an issue of its own.
 */
async function expandPaths(paths: string[]): Promise<{ files: string[]; issues: ConfigIssue[] }> {
  const files: string[] = [];
  const issues: ConfigIssue[] = [];
  for (const p of paths) {
    if (!(await isDirectory(p))) {
      files.push(p);
      continue;
    }
    const inside = await scenarioFiles(p);
    if (inside.length) files.push(...inside);
    else issues.push({ file: shown(resolve(p)), line: 1, column: 1, path: '', message: 'no scenario files (*.yaml) in this folder' });
  }
  return { files, issues };
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function validateCommand(paths: string[], flags: LoadFlags = {}): Promise<number> {
  const expanded = await expandPaths(paths);
  const loaded = await loadAll(expanded.files, flags);
  const scenarios = loaded.scenarios;
  const issues = [...expanded.issues, ...loaded.issues];
  for (const s of scenarios) console.log(`ok  ${shown(s.file)}  (${s.name}: ${s.faults.length} faults, ${s.slos.length} SLOs${s.variants?.length ? `, ${s.variants.length} variants` : ''})`);
  if (issues.length) {
    console.error(formatIssues(issues));
    console.error(`\n${issues.length} problem${issues.length === 1 ? '' : 's'} in ${new Set(issues.map((i) => i.file)).size} file(s)`);
    return EXIT.invalid;
  }
  return EXIT.pass;
}

/**
 * Ctrl-C once: stop the load, keep what was measured, write it marked aborted.
 * Ctrl-C twice: leave at once (the worker exit hook still kills child processes).
 */
function interruptible(): { signal: AbortSignal; dispose(): void; interrupted(): boolean } {
  const ac = new AbortController();
  let count = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      process.stderr.write(`\n${sig}: stopping the load and writing what was measured (again to quit at once)\n`);
      ac.abort(`interrupted by ${sig}`);
    } else process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
    interrupted: () => count > 0,
  };
}

function describeLoad(s: Scenario): string {
  const l = s.load;
  return `${l.model === 'open' ? `open ${l.rate}/s ${l.arrival}` : `closed ${l.connections} connections`} for ${formatDuration(l.durationMs)}`;
}

/** `--toxiproxy`, else TOXIPROXY_URL (an empty one counts as unset), else the embedded server. */
function toxiproxyFlag(flags: RunFlags): string | undefined {
  return flags.toxiproxy ?? (process.env.TOXIPROXY_URL || undefined);
}

/**
 * Checks the Toxiproxy choice before anything starts: a malformed value, or `container` where
 * no Docker engine answers, is printed in words and ends the command with exit 2.
 */
async function toxiproxyUsable(flags: RunFlags): Promise<boolean> {
  const choice = parseToxiproxyChoice(toxiproxyFlag(flags));
  if (!choice.ok) {
    console.error(choice.error);
    return false;
  }
  if (choice.value.kind === 'container') {
    const docker = await probeDocker();
    if (!docker.ok) {
      console.error(`--toxiproxy container: ${docker.reason}`);
      return false;
    }
  }
  return true;
}

async function runOne(scenario: Scenario, flags: RunFlags, signal: AbortSignal, reporting?: Reporting): Promise<RunOutcome> {
  const progress = flags.progress ? progressLine({ durationMs: scenario.load.durationMs, stream: process.stderr }) : undefined;
  try {
    const toxiproxy = toxiproxyFlag(flags);
    return await runScenarioWithReports(scenario, {
      reportsDir: flags.reports,
      ...(toxiproxy !== undefined && { toxiproxy }),
      ...(flags.bin !== undefined && { binMs: flags.bin }),
      ...(reporting && { reporters: reporting.files }),
      signal,
      onProgress: progress?.update,
      onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
      onStart: ({ targetUrl, toxiproxy, providers }) => process.stderr.write(`${scenario.name}: load started against ${targetUrl} (${describeLoad(scenario)}, toxiproxy ${toxiproxy})\n${providers.map((p) => `  provider ${p.name}${p.region ? ` (${p.region})` : ''} at ${p.url}${p.upstream ? ` → ${p.upstream}` : ''}\n`).join('')}`),
    });
  } finally {
    progress?.done();
  }
}

export async function runCommand(files: string[], flags: RunFlags): Promise<number> {
  const scenarios = await runnable(files, flags);
  if (scenarios === undefined) return EXIT.invalid;
  const reporting = planReporting(flags.reporter, { single: scenarios.length === 1 && flags.variants === undefined, command: 'run' });
  if (typeof reporting === 'string') {
    console.error(reporting);
    return EXIT.invalid;
  }
  if (flags.baseline !== undefined && flags.variants !== undefined) {
    console.error('--baseline compares one run with one baseline: run the variants without it, then `faultline compare` the runs you mean');
    return EXIT.invalid;
  }
  // Read before anything runs: a bad path costs no run, and reports/<scenario> means the latest run before this one.
  const baseline = flags.baseline === undefined ? undefined : await readBaseline(flags.baseline);
  if (flags.baseline !== undefined && baseline === undefined) return EXIT.invalid;
  const sig = interruptible();
  let code: number = EXIT.pass;
  try {
    if (flags.variants !== undefined) {
      for (const scenario of scenarios) {
        if (sig.signal.aborted) break;
        const c = await runVariants(scenario, flags.variants, {
          reports: flags.reports,
          color: useColor(),
          aborted: () => sig.signal.aborted,
          out: (t) => reporting.human.write(t),
          runOne: async (s) => {
            try {
              return await runOne(s, flags, sig.signal, reporting);
            } catch (err) {
              if (!(err instanceof EnvironmentError)) throw err;
              console.error(`${s.name}: the environment did not start: ${err.message}`);
              return undefined;
            }
          },
        });
        code = Math.max(code, c);
      }
      return sig.interrupted() ? EXIT.interrupted : code;
    }
    for (const scenario of scenarios) {
      if (sig.signal.aborted) break;
      try {
        const run = await runOne(scenario, flags, sig.signal, reporting);
        await reportRun(run.result, run.files, reporting);
        // The CI gate (format.ts's outcome): a broken twin that failed as expected exits 0, as its junit.xml passes.
        code = Math.max(code, exitCodeOf(run.result, sig.interrupted()));
        // A regression against the baseline exits 1 as a breached SLO does; the larger code wins (2 bad baseline, 130 interrupted). An aborted run is not compared.
        if (baseline && run.result.status === 'completed') {
          if (baseline.result.scenario.name === scenario.name) code = Math.max(code, await compareWithBaseline(baseline, run.result, run.dir, { confidence: flags.confidence ?? 0.99 }, reporting.human));
          else reporting.human.write(`${scenario.name}: not compared: the baseline is a run of "${baseline.result.scenario.name}"\n`);
        }
      } catch (err) {
        if (!(err instanceof EnvironmentError)) throw err;
        console.error(`${scenario.name}: the environment did not start: ${err.message}`);
        code = Math.max(code, EXIT.invalid);
      }
    }
  } finally {
    sig.dispose();
  }
  return code;
}

/**
 * The scenarios of `files`, ready to run: undefined (the reasons printed) when any file is
 * invalid or the Toxiproxy choice cannot work.
 */
async function runnable(files: string[], flags: RunFlags): Promise<Scenario[] | undefined> {
  const { scenarios, issues } = await loadAll(files, flags);
  if (issues.length) {
    console.error(formatIssues(issues));
    return undefined;
  }
  return (await toxiproxyUsable(flags)) ? scenarios : undefined;
}

/** Scenario files in a folder, in name order (the schema and other JSON are not scenarios). */
async function scenarioFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  return names.map((n) => join(dir, n));
}

/**
 * Runs a folder of scenarios. A scenario "meets its expectation" when its outcome passes the
 * CI gate (format.ts's `outcome`: its verdict equals its `expect`; a broken twin expects
 * `fail`, like vitest's test.fails), so the suite exits 0 when the patterns work and the twins
 * without them are caught.
 *
 * Besides each run's own reports, the suite writes one aggregate junit.xml (a `<testsuite>`
 * per scenario) at `reports/junit.xml` or `--reporter junit=path`, its rows at
 * `reports/suite-<id>.json` or `json=path` (`json=-`: stdout), and with `markdown`, one
 * Markdown table at `reports/suite.md` or `markdown=path`, appended to $GITHUB_STEP_SUMMARY.
 */
export async function suiteCommand(dir: string, flags: RunFlags): Promise<number> {
  const files = await scenarioFiles(dir);
  if (files.length === 0) {
    console.error(`no scenario files (*.yaml) in ${dir}`);
    return EXIT.invalid;
  }
  // Paths name the suite's own files (one each), so they are fine however many scenarios run.
  const reporting = planReporting(flags.reporter, { single: true, command: 'suite' });
  if (typeof reporting === 'string') {
    console.error(reporting);
    return EXIT.invalid;
  }
  if (reporting.pathOf('html') !== undefined) {
    console.error('--reporter html=path: a suite writes one report.html per scenario, in its run folder; choose html without a path');
    return EXIT.invalid;
  }
  const scenarios = await runnable(files, flags);
  if (scenarios === undefined) return EXIT.invalid;
  const say = (line: string) => reporting.human.write(`${line}\n`);
  // Each run writes its own files in its folder; the paths chosen are the suite's.
  const perRun: Reporting = { ...reporting, files: reporting.files.map(({ name }) => ({ name })), toStdout: undefined };
  const sig = interruptible();
  const rows: { scenario: string; expected: string; verdict: string; status: string; outcome: string; met: boolean; dir?: string; error?: string }[] = [];
  const results: { scenario: string; result?: RunResult; report?: string; error?: string }[] = [];
  const started = Date.now();
  try {
    for (const scenario of scenarios) {
      if (sig.signal.aborted) break;
      say(`▶ ${scenario.name}${scenario.expect === 'fail' ? ' (expected to fail)' : ''}`);
      try {
        const { result, dir: out, files: written } = await runOne(scenario, flags, sig.signal, perRun);
        if (reporting.screen) reporting.screen.write(formatSummary(result, { color: useColor() && reporting.screen === process.stdout }) + '\n');
        const o = outcome(result);
        rows.push({ scenario: scenario.name, expected: result.expected, verdict: result.verdict, status: result.status, outcome: o.kind, met: o.asExpected, dir: shown(out) });
        const html = written.find((f) => f.endsWith('report.html'));
        results.push({ scenario: scenario.name, result, ...(html && { report: shown(html) }) });
      } catch (err) {
        if (!(err instanceof EnvironmentError)) throw err;
        console.error(`${scenario.name}: the environment did not start: ${err.message}`);
        rows.push({ scenario: scenario.name, expected: scenario.expect, verdict: 'error', status: 'error', outcome: 'error', met: false, error: err.message });
        results.push({ scenario: scenario.name, error: err.message });
      }
    }
  } finally {
    sig.dispose();
  }
  const wallMs = Date.now() - started;
  const met = rows.filter((r) => r.met).length;
  say('\nsuite');
  for (const r of rows) {
    const mark = r.met ? '✓' : '✗';
    const note = r.outcome === 'aborted' ? 'aborted' : r.expected === 'fail' ? (r.verdict === 'fail' ? 'failed as expected' : 'passed but was expected to fail') : r.verdict === 'pass' ? 'passed' : 'failed';
    say(`  ${mark} ${r.scenario.padEnd(32)} ${note}${r.dir ? `  ${r.dir}` : ''}`);
  }
  say(`${met} of ${rows.length} scenarios met their expectation in ${formatDuration(wallMs)}`);

  await mkdir(flags.reports, { recursive: true });
  const suiteFiles: string[] = [];
  const put = async (name: string, fallback: string, text: string) => {
    const where = reporting.pathOf(name);
    if (where === '-') return void process.stdout.write(text);
    const path = where ?? join(flags.reports, fallback);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    suiteFiles.push(path);
  };
  const ran = results.filter((r) => r.result).map((r) => r.result!);
  const errors: SuiteError[] = results.filter((r) => r.error !== undefined).map((r) => ({ scenario: r.scenario, message: r.error! }));
  // The rows stay written whatever is chosen (as before --reporter): they are the suite's record.
  await put('json', `suite-${makeRunId(started)}.json`, JSON.stringify({ dir, rows }, null, 2) + '\n');
  if (reporting.has('junit')) await put('junit', 'junit.xml', renderSuiteJunit(ran, errors, wallMs));
  if (reporting.has('markdown')) {
    const links = suiteFiles.map((f) => ({ label: f.split('/').at(-1)!, href: shown(f) }));
    const markdown = renderSuiteMarkdown(results, { wallMs, links, plainLinks: true });
    await put('markdown', 'suite.md', markdown);
    await appendStepSummary(markdown);
  }
  for (const f of suiteFiles) say(`  ${shown(f)}`);
  if (sig.interrupted()) return EXIT.interrupted;
  return met === rows.length && rows.length === scenarios.length ? EXIT.pass : EXIT.breached;
}
