import { cpus, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../core/clock.ts';
import { forkRng } from '../core/rng.ts';
import { createCollector } from '../collect/collector.ts';
import type { Scenario } from '../model/scenario.ts';
import { runOpenLoad } from '../load/open.ts';
import { runClosedLoad } from '../load/closed.ts';
import type { LoadProgress, LoadResult } from '../load/types.ts';
import { planFaults } from '../faults/plan.ts';
import { primeFaults, startTimeline, type Timeline } from '../faults/timeline.ts';
import type { ProviderEndpoint, RunResult } from '../model/result.ts';
import { writeIndex } from '../report/index-page.ts';
import { writeReports, type ReporterChoice } from '../report/reporter.ts';
import { endpointKey, EnvironmentError, startEnvironment, type Environment } from './environment.ts';
import { buildResult } from '../result/build.ts';
import { abortingSlos, dataSoFar, findBreach, type Breach } from '../slo/index.ts';
import type { RequestRecord, RunData } from '../model/run.ts';
import type { Collector } from '../collect/collector.ts';

export interface RunOptions {
  /** Folder under which `<scenario>/<run-id>/` is written. */
  reportsDir: string;
  /** Aborting stops the load, keeps what was measured and marks the result `aborted`. */
  signal?: AbortSignal;
  /** An outside Toxiproxy; the embedded one when absent. */
  toxiproxyUrl?: string;
  onProgress?: (p: LoadProgress) => void;
  /** The environment is up and load is about to start, against `targetUrl`. */
  onStart?: (info: { targetUrl: string; toxiproxy: string; /** Where each provider is reachable: the proxy the service should call. */ providers: Omit<ProviderEndpoint, 'requests'>[] }) => void;
  /** Problems that do not stop the run (a fault that failed to switch), for the console. */
  onWarning?: (message: string) => void;
  runId?: string;
  clock?: Clock;
  /** Keep upstream arrivals in bins this wide in the result (`series.upstreamFine`); default: the finest bin the SLOs name, else none. */
  binMs?: number;
  /** The file reports to write (`--reporter`); default json, html, junit in the run's folder. */
  reporters?: readonly (string | ReporterChoice)[];
}

export interface RunOutcome {
  result: RunResult;
  /** The folder the reports went to. */
  dir: string;
  files: string[];
  /** What was measured, as the SLOs judged it (a sweep measures its objectives over it). */
  data: RunData;
}

/** Head start between bringing the environment up and t = 0, so the first fault switch and the first arrival are not late. */
const START_DELAY_MS = 250;

/**
 * A run's id, e.g. `20261122T072529.413Z-3fa9`: the UTC time to the millisecond (so ids sort
 * by start time and read as one), and a short random suffix, so two runs started in the same
 * millisecond — a suite in each of two terminals, parallel CI jobs on one disk — differ.
 * `createRunDir` makes its folder exclusively, so even a repeated id cannot share a folder.
 */
export function makeRunId(now: number, suffix: string = randomBytes(2).toString('hex')): string {
  return `${new Date(now).toISOString().replace(/[-:]/g, '')}-${suffix}`;
}

/**
 * Creates `parent/<runId>/`, failing if it exists (never writing into another run's folder).
 * When it exists and `fresh` is given, tries again with a fresh id; the id used is returned.
 *
 * @example const { dir, runId } = await createRunDir('reports/gateway', makeRunId(Date.now()), () => makeRunId(Date.now()))
 */
export async function createRunDir(parent: string, runId: string, fresh?: () => string): Promise<{ dir: string; runId: string }> {
  await mkdir(parent, { recursive: true });
  for (let id = runId, attempt = 0; ; id = fresh!(), attempt++) {
    const dir = join(parent, id);
    try {
      await mkdir(dir);
      return { dir, runId: id };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !fresh || attempt >= 20) throw err;
    }
  }
}

/**
 * One scenario, end to end: environment up, faults on their timeline, load, collection,
 * SLO verdicts, reports, environment down. Throws EnvironmentError when the environment
 * cannot start (nothing was measured); every other interruption still writes a result,
 * marked aborted. (The library's `runScenario`, src/api.ts, loads any input and calls this.)
 */
export async function executeRun(scenario: Scenario, opts: RunOptions): Promise<RunOutcome> {
  const clock = opts.clock ?? systemClock;
  const runId = opts.runId ?? makeRunId(clock.now());
  const endpoints = scenario.providers.flatMap((p) =>
    (p.regions?.length ? p.regions : [undefined]).map((region) => ({
      key: endpointKey(p.name, region),
      provider: p.name,
      region,
      ...(p.kind === 'fixture' ? { fixture: p.fixture } : p.kind === 'url' ? { url: p.url } : { handlers: p.handlers }),
      ...(p.capacity && { capacity: p.capacity }),
      ...(p.listen?.[region ?? ''] !== undefined && { listen: p.listen[region ?? ''] }),
    })),
  );
  // The run's folder exists from the start: a command target's logs go there.
  // A run id given by the caller is used as is (an existing folder is an error); ours is re-drawn if taken.
  // The host's load before anything of the run starts, beside the one at its end (the environment in the report).
  const loadStart = loadavg();
  const { dir, runId: finalId } = await createRunDir(join(opts.reportsDir, scenario.name), runId, opts.runId ? undefined : () => makeRunId(clock.now()));
  let env: Environment;
  try {
    env = await startEnvironment({ seed: scenario.seed, endpoints, target: scenario.target, toxiproxyUrl: opts.toxiproxyUrl, logDir: dir, signal: opts.signal, probeUrlTarget: true });
  } catch (err) {
    // Nothing ran: leave no empty folder behind (a command target's logs stay, to read why).
    if ((await readdir(dir).catch(() => ['?'])).length === 0) await rmdir(dir).catch(() => {});
    throw err instanceof EnvironmentError ? err : new EnvironmentError(err instanceof Error ? err.message : String(err));
  }

  let abortReason: string | undefined;
  // An abortOnFail SLO's breach stops the load as Ctrl-C does, through its own signal, with its own reason.
  const onBreach = new AbortController();
  let breach: Breach | undefined;
  const loadSignal = opts.signal ? AbortSignal.any([opts.signal, onBreach.signal]) : onBreach.signal;
  const onAbort = () => (abortReason ??= String(opts.signal?.reason ?? 'interrupted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  let t0 = clock.now() + START_DELAY_MS;
  let timeline: Timeline | undefined;
  let load: LoadResult | undefined;
  const collector = createCollector({ metricsUrl: env.metricsUrl, upstream: (from) => env.collectUpstream(from) }, clock);
  const targetProblems: string[] = [];
  try {
    const backend = env.faults;
    const planned = planFaults(scenario);
    // Each fault on and off once before t = 0 (no load yet), so its first real switch is as punctual as the rest.
    await primeFaults(planned, backend).catch((err) => opts.onWarning?.(`could not prime the faults: ${err instanceof Error ? err.message : String(err)}`));
    opts.onStart?.({ targetUrl: env.targetUrl, toxiproxy: env.toxiproxy, providers: env.providers });
    t0 = clock.now() + START_DELAY_MS;
    // One planned fault per occurrence (repeats, flaps), each with its ramp's steps; stop() below
    // switches off whatever is still on, also when the run is aborted, and records when.
    timeline = startTimeline(planned, backend, clock, t0, (f, phase, err) => {
      const which = f.occurrence === undefined ? f.name : `${f.name} (occurrence ${f.occurrence})`;
      const what = phase === 'step' ? 'apply a ramp step' : `switch ${phase}`;
      opts.onWarning?.(`fault ${which} failed to ${what}: ${err instanceof Error ? err.message : String(err)}`);
    });
    collector.startScraping(t0);
    const tl = timeline;
    const stopWatching = watchForBreach(scenario, { t0, clock, collector, env, faults: () => tl.switches }, (b) => {
      breach = b;
      abortReason ??= b.reason;
      onBreach.abort(b.reason);
    });
    try {
      load = await driveLoad(scenario, env, t0, clock, { ...opts, signal: loadSignal, onRecord: stopWatching.onRecord });
      t0 = load.startedAt;
    } finally {
      stopWatching();
      // A completed run ended at its planned end (its load may finish a little before it): no fault due off then was cut short.
      await timeline.stop(load && !load.aborted ? scenario.load.durationMs : undefined);
      await collector.stopScraping();
    }
    await collector.collectUpstream(t0);
  } catch (err) {
    abortReason ??= err instanceof Error ? err.message : String(err);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    // A service that died during the run explains what the SLOs saw.
    const exit = await env.targetExit().catch(() => undefined);
    if (exit) targetProblems.push(`the target process exited during the run (${exit}); see ${env.logs.at(-1) ?? 'its stderr'}`);
    await env.close();
  }

  const data = collector.finish({ startedAt: t0, durationMs: load?.durationMs ?? 0, requests: load?.requests ?? [], faults: timeline?.switches ?? [] });
  const aborted = abortReason !== undefined || (load?.aborted ?? true);
  const built = buildResult(scenario, data, {
    runId: finalId,
    mode: 'live',
    abortReason: aborted ? (abortReason ?? 'interrupted') : undefined,
    ...(breach && { breach }),
    endpoints: env.providers,
    environment: { node: process.version, toxiproxy: env.toxiproxy, seed: scenario.seed, host: hostname(), hostLoad: { cpus: cpus().length, start: loadStart, end: loadavg() } },
    ...(opts.binMs !== undefined && { binMs: opts.binMs }),
  });
  const result = { ...built, warnings: [...built.warnings, ...targetProblems] };
  const files = await writeReports(result, dir, opts.reporters);
  // Nothing chosen for a file (`--reporter json=-`) and no logs: no empty run folder is left behind.
  if (files.length === 0 && env.logs.length === 0) await rmdir(dir).catch(() => {});
    if (files.length > 0) await writeIndex(opts.reportsDir).catch((err) => opts.onWarning?.(`could not rebuild ${opts.reportsDir}/index.html: ${err instanceof Error ? err.message : String(err)}`));
  // The service's own logs, beside the reports.
  return { result, dir, files: [...files, ...env.logs], data };
}

/** How often the abortOnFail SLOs are judged while load runs (k6 judges its thresholds every 2 s). */
const ABORT_CHECK_EVERY_MS = 1000;

/**
 * Judges the scenario's abortOnFail SLOs every second over the data so far (src/slo/abort.ts)
 * and calls `onBreach` once, at the first breach. No abortOnFail SLO: nothing is scheduled.
 * The returned function stops the watch; its `onRecord` collects the load's requests.
 */
function watchForBreach(
  scenario: Scenario,
  run: { t0: number; clock: Clock; collector: Collector; env: Environment; faults: () => RunData['faults'] },
  onBreach: (b: Breach) => void,
): (() => void) & { onRecord?: (r: RequestRecord) => void } {
  const slos = abortingSlos(scenario.slos);
  if (slos.length === 0) return Object.assign(() => {}, { onRecord: undefined });
  const requests: RequestRecord[] = [];
  let stopped = false;
  let cancel = () => {};
  const check = async () => {
    if (stopped) return;
    const now = run.clock.now() - run.t0;
    // What the providers received so far: one call to the provider host, read again each second (the run is short and loopback).
    const upstream = await run.env.collectUpstream(run.t0).catch(() => []);
    if (stopped) return;
    const found = findBreach(slos, dataSoFar({ startedAt: run.t0, requests, upstream, faults: run.faults(), scrapes: [...run.collector.scrapes] }, now));
    if (found) {
      stopped = true;
      onBreach(found);
      return;
    }
    cancel = run.clock.schedule(ABORT_CHECK_EVERY_MS, () => void check());
  };
  cancel = run.clock.schedule(Math.max(0, run.t0 + ABORT_CHECK_EVERY_MS - run.clock.now()), () => void check());
  return Object.assign(
    () => {
      stopped = true;
      cancel();
    },
    { onRecord: (r: RequestRecord) => void requests.push(r) },
  );
}

function driveLoad(scenario: Scenario, env: Environment, t0: number, clock: Clock, opts: RunOptions & { onRecord?: (r: RequestRecord) => void }): Promise<LoadResult> {
  const load = scenario.load;
  const common = {
    target: env.targetUrl,
    durationMs: load.durationMs,
    timeoutMs: load.timeoutMs,
    requests: load.requests,
    rng: forkRng(scenario.seed, 'load'),
    clock,
    signal: opts.signal,
    onProgress: opts.onProgress,
    ...(opts.onRecord && { onRecord: opts.onRecord }),
    startAt: t0,
  };
  return load.model === 'closed'
    ? runClosedLoad({ ...common, connections: load.connections })
    : runOpenLoad({ ...common, rate: load.rate, arrival: load.arrival });
}
