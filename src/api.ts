/**
 * The programmatic API behind `faultline run` and `faultline validate`: a scenario (a file,
 * a document written in code, or one already loaded) in, a typed `RunResult` out — the same
 * object result.json holds. The CLI is a thin shell over these functions.
 */
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import { formatIssues, type ConfigIssue } from './config/issues.ts';
import { fileContext, readScenarioFile, parseScenario, type ScenarioLoadOptions } from './scenario/load.ts';
import type { Scenario } from './model/scenario.ts';
import type { ScenarioFile } from './scenario/schema.ts';
import { applyOverrides, hasOverrides, type ScenarioOverrides } from './scenario/overrides.ts';
import { executeRun, type RunOptions, type RunOutcome } from './run/run.ts';
import type { RunResult } from './model/result.ts';
import { simulateScenario as simulate, type SimOptions, type SimOutcome } from './sim/index.ts';

/**
 * What a scenario can be given as: the path of a YAML file; a scenario document as an object
 * (the same fields as the file, relative paths resolved against `options.cwd`); or a
 * `Scenario` that `loadScenario` returned.
 */
export type ScenarioInput = string | ScenarioFile | Scenario;

export type { ScenarioOverrides };

/** How a scenario is read: `${VAR}` values and the values that replace the file's own. */
export interface LoadOptions {
  /** Base for relative paths in a scenario given as an object. Default `process.cwd()`. */
  cwd?: string;
  /** Values for `${VAR}` in the scenario, looked up before `env` (the CLI's `-e KEY=VALUE`). */
  vars?: Record<string, string>;
  /** Looked up after `vars`. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Replace the file's duration, rate or seed for this run (`--duration 5s`); checked like the file. */
  overrides?: ScenarioOverrides;
}

export interface RunScenarioOptions extends LoadOptions {
  /** Folder under which `<scenario>/<run-id>/` is written. Default `reports`, against `cwd`. */
  reportsDir?: string;
  /** Which Toxiproxy: `embedded` (default), `container` (testcontainers, needs Docker) or the API URL of one on this host. */
  toxiproxy?: string;
  /** Aborting stops the load; what was measured is still returned and written, marked `aborted`. */
  signal?: AbortSignal;
  onProgress?: RunOptions['onProgress'];
  onStart?: RunOptions['onStart'];
  /** Problems that do not stop the run (a fault that failed to switch); default: ignored. */
  onWarning?: (message: string) => void;
  /** Keep upstream arrivals in bins this wide, ms (`series.upstreamFine`); default: the finest bin the SLOs name (`peak_to_mean(upstream_requests, 10ms)`), else none. */
  binMs?: number;
  /** The file reports to write: names (`json`, `html`, `junit`, `markdown`) or `{ name, path }`; default json, html and junit in the run's folder. */
  reporters?: RunOptions['reporters'];
}

/** Raised for a scenario that does not validate: `issues` holds every problem, each positioned. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(`invalid scenario:\n${formatIssues(issues)}`);
    this.issues = issues;
  }
}

export type Validation = { ok: true; scenario: Scenario } | { ok: false; issues: ConfigIssue[] };

/** A normalised scenario carries its durations in ms; a document has them as written. */
function isLoaded(input: ScenarioFile | Scenario): input is Scenario {
  const load = (input as { load?: { durationMs?: unknown } }).load;
  return typeof load?.durationMs === 'number';
}

/**
 * Checks a scenario without running anything: every problem at once, each with file, line
 * and field. Never throws for a bad scenario.
 *
 * @example
 *   const v = await validateScenario('chaos/checkout.yaml');
 *   if (!v.ok) console.error(formatIssues(v.issues));
 */
export async function validateScenario(input: ScenarioInput, options: LoadOptions = {}): Promise<Validation> {
  const cwd = options.cwd ?? process.cwd();
  const how: ScenarioLoadOptions = {
    ...(options.vars && { vars: options.vars }),
    env: options.env ?? process.env,
    ...(options.overrides && { overrides: options.overrides }),
  };
  if (typeof input === 'string') return settled(await readScenarioFile(resolve(cwd, input), how));
  if (isLoaded(input)) return hasOverrides(options.overrides) ? settled(applyOverrides(input, options.overrides)) : { ok: true, scenario: input };
  // A document written in code goes through the same checks as a file; its issues name a
  // file that does not exist, in `cwd`, so relative paths in it resolve against `cwd`.
  const name = typeof input.name === 'string' && input.name ? input.name : 'scenario';
  return settled(parseScenario(stringify(input), resolve(cwd, `${name}.inline.yaml`), fileContext, how));
}

function settled(r: { ok: true; scenario: Scenario } | { ok: false; issues: ConfigIssue[] }): Validation {
  return r.ok ? { ok: true, scenario: r.scenario } : { ok: false, issues: r.issues };
}

/**
 * Loads and validates a scenario; throws `ScenarioError` (with every issue) when it is invalid.
 *
 * @example
 *   const scenario = await loadScenario('chaos/checkout.yaml');
 *   console.log(scenario.faults.map((f) => f.name));
 */
export async function loadScenario(input: ScenarioInput, options: LoadOptions = {}): Promise<Scenario> {
  const v = await validateScenario(input, options);
  if (!v.ok) throw new ScenarioError(v.issues);
  return v.scenario;
}

/**
 * Runs a scenario end to end — environment up, faults on their timeline, load, SLO verdicts,
 * reports written, everything torn down — and returns its result.
 *
 * Throws `ScenarioError` for an invalid scenario and `EnvironmentError` when the environment
 * would not start (the target never became ready, a port was taken): then nothing was
 * measured. A breached SLO is not an error: it is `result.verdict === 'fail'` (see the
 * `toMeetSLOs()` matcher in `faultline/vitest`).
 *
 * @example
 *   const result = await runScenario('chaos/checkout.yaml', { reportsDir: 'reports' });
 *   for (const slo of result.slos) console.log(slo.passed ? '✓' : '✗', slo.message);
 */
export async function runScenario(input: ScenarioInput, options: RunScenarioOptions = {}): Promise<RunResult> {
  return (await runScenarioWithReports(input, options)).result;
}

/** `runScenario`, also saying where the reports went: what the CLI prints. */
export async function runScenarioWithReports(input: ScenarioInput, options: RunScenarioOptions = {}): Promise<RunOutcome> {
  const scenario = await loadScenario(input, options);
  const cwd = options.cwd ?? process.cwd();
  return executeRun(scenario, {
    reportsDir: resolve(cwd, options.reportsDir ?? 'reports'),
    ...(options.toxiproxy !== undefined && { toxiproxyUrl: options.toxiproxy }),
    ...(options.signal && { signal: options.signal }),
    ...(options.onProgress && { onProgress: options.onProgress }),
    ...(options.onStart && { onStart: options.onStart }),
    ...(options.onWarning && { onWarning: options.onWarning }),
    ...(options.binMs !== undefined && { binMs: options.binMs }),
    ...(options.reporters && { reporters: options.reporters }),
  });
}

/** How `simulateScenario` reads the scenario, and the simulation's own knobs (seed, duration, fine bins, the network model). */
export interface SimulateScenarioOptions extends LoadOptions, SimOptions {}

/**
 * Runs a scenario in virtual time: the reference router's own code against modelled
 * providers and network, the scenario's faults on the live timeline, the result built as a
 * live run's (`mode: 'sim'`). Deterministic: the same seed gives the same result.json, byte
 * for byte. Writes nothing (the CLI's `faultline sim` writes the reports).
 *
 * Throws `ScenarioError` for an invalid scenario and `SimUnsupportedError` (every problem at
 * once) for a part the simulator has no model for: a `url` or `command` target, a fault kind
 * without a model.
 *
 * @example
 *   const { result, stats } = await simulateScenario('scenarios/incidents/retry-storm.yaml', { seed: 7 });
 *   console.log(result.verdict, stats.simulatedRequests / (stats.wallMs / 1000), 'simulated requests/s');
 */
export async function simulateScenario(input: ScenarioInput, options: SimulateScenarioOptions = {}): Promise<SimOutcome> {
  const scenario = await loadScenario(input, options);
  return simulate(scenario, options);
}
