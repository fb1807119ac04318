import { hostname } from 'node:os';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { systemClock, type Clock } from '../core/clock.ts';
import { forkRng } from '../core/rng.ts';
import type { MetricScrape, RunData } from '../collect/types.ts';
import { parseExposition } from '../collect/scrape.ts';
import { buildSeries } from '../collect/series.ts';
import type { Scenario } from '../scenario/model.ts';
import { evaluateSlos, summarizeLatency } from '../slo/evaluate.ts';
import { isSuccess } from '../slo/metrics.ts';
import { runOpenLoad } from '../load/open.ts';
import { runClosedLoad } from '../load/closed.ts';
import type { LoadProgress, LoadResult } from '../load/types.ts';
import { httpFaultBackend, layeredBackend, toxiproxyFaultBackend } from '../faults/backends.ts';
import { planFaults } from '../faults/plan.ts';
import { primeFaults, startTimeline, type Timeline } from '../faults/timeline.ts';
import { RESULT_FORMAT_VERSION, type RunResult } from '../report/result.ts';
import { writeReports } from '../report/reporter.ts';
import { endpointKey, startEnvironment, type Environment } from './environment.ts';

export interface RunOptions {
  /** Folder under which `<scenario>/<run-id>/` is written. */
  reportsDir: string;
  /** Aborting stops the load, keeps what was measured and marks the result `aborted`. */
  signal?: AbortSignal;
  /** An outside Toxiproxy; the embedded one when absent. */
  toxiproxyUrl?: string;
  onProgress?: (p: LoadProgress) => void;
  /** The environment is up and load is about to start, against `targetUrl`. */
  onStart?: (info: { targetUrl: string; toxiproxy: string }) => void;
  /** Problems that do not stop the run (a fault that failed to switch), for the console. */
  onWarning?: (message: string) => void;
  runId?: string;
  clock?: Clock;
}

export interface RunOutcome {
  result: RunResult;
  /** The folder the reports went to. */
  dir: string;
  files: string[];
}

/** Head start between bringing the environment up and t = 0, so the first fault switch and the first arrival are not late. */
const START_DELAY_MS = 250;
const SCRAPE_EVERY_MS = 1000;

export function makeRunId(now: number): string {
  return new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * One scenario, end to end: environment up, faults on their timeline, load, collection,
 * SLO verdicts, reports, environment down. Throws EnvironmentError when the environment
 * cannot start (nothing was measured); every other interruption still writes a result,
 * marked aborted.
 */
export async function runScenario(scenario: Scenario, opts: RunOptions): Promise<RunOutcome> {
  const clock = opts.clock ?? systemClock;
  const runId = opts.runId ?? makeRunId(clock.now());
  const endpoints = scenario.providers.flatMap((p) =>
    (p.regions?.length ? p.regions : [undefined]).map((region) => ({
      key: endpointKey(p.name, region),
      provider: p.name,
      region,
      fixture: p.fixture,
      ...(p.capacity && { capacity: p.capacity }),
    })),
  );
  const env = await startEnvironment({ seed: scenario.seed, endpoints, target: scenario.target, toxiproxyUrl: opts.toxiproxyUrl });

  let abortReason: string | undefined;
  const onAbort = () => (abortReason ??= String(opts.signal?.reason ?? 'interrupted'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  let t0 = clock.now() + START_DELAY_MS;
  let timeline: Timeline | undefined;
  let load: LoadResult | undefined;
  const scrapes: MetricScrape[] = [];
  let upstream: RunData['upstream'] = [];
  try {
    const backend = layeredBackend({
      http: httpFaultBackend((key, faults) => env.setHttpFaults(key, faults)),
      network: toxiproxyFaultBackend(env.proxies),
    });
    const planned = planFaults(scenario);
    // Each fault on and off once before t = 0 (no load yet), so its first real switch is as punctual as the rest.
    await primeFaults(planned, backend).catch((err) => opts.onWarning?.(`could not prime the faults: ${err instanceof Error ? err.message : String(err)}`));
    opts.onStart?.({ targetUrl: env.targetUrl, toxiproxy: env.toxiproxy });
    t0 = clock.now() + START_DELAY_MS;
    // One planned fault per occurrence (repeats, flaps), each with its ramp's steps; stop() below
    // switches off whatever is still on, also when the run is aborted, and records when.
    timeline = startTimeline(planned, backend, clock, t0, (f, phase, err) => {
      const which = f.occurrence === undefined ? f.name : `${f.name} (occurrence ${f.occurrence})`;
      const what = phase === 'step' ? 'apply a ramp step' : `switch ${phase}`;
      opts.onWarning?.(`fault ${which} failed to ${what}: ${err instanceof Error ? err.message : String(err)}`);
    });
    const stopScraping = scrapeEvery(env, clock, t0, scrapes);
    try {
      load = await driveLoad(scenario, env, t0, clock, opts);
      t0 = load.startedAt;
    } finally {
      await timeline.stop();
      await stopScraping();
    }
    upstream = await env.collectUpstream(t0);
  } catch (err) {
    abortReason ??= err instanceof Error ? err.message : String(err);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await env.close();
  }

  const data: RunData = {
    startedAt: t0,
    durationMs: load?.durationMs ?? 0,
    requests: load?.requests ?? [],
    upstream,
    faults: timeline?.switches ?? [],
    scrapes,
  };
  const aborted = abortReason !== undefined || (load?.aborted ?? true);
  const result = buildResult(scenario, data, env, runId, aborted ? (abortReason ?? 'interrupted') : undefined);
  const dir = join(opts.reportsDir, scenario.name, runId);
  await mkdir(dir, { recursive: true });
  const files = await writeReports(result, dir);
  return { result, dir, files };
}

function driveLoad(scenario: Scenario, env: Environment, t0: number, clock: Clock, opts: RunOptions): Promise<LoadResult> {
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
    startAt: t0,
  };
  return load.model === 'closed'
    ? runClosedLoad({ ...common, connections: load.connections })
    : runOpenLoad({ ...common, rate: load.rate, arrival: load.arrival });
}

/** Scrapes the router's /metrics every second until stopped, then once more at the end. */
function scrapeEvery(env: Environment, clock: Clock, t0: number, into: MetricScrape[]): () => Promise<void> {
  if (!env.metricsUrl) return async () => {};
  const url = env.metricsUrl;
  let stopped = false;
  let cancel = () => {};
  let inFlight: Promise<void> = Promise.resolve();
  const scrape = async () => {
    const t = clock.now() - t0;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) into.push({ t, ...parseExposition(await res.text()) });
    } catch {
      // A missed scrape leaves a gap; counters are read as increases between the scrapes we have.
    }
  };
  const loop = () => {
    if (stopped) return;
    inFlight = scrape();
    cancel = clock.schedule(SCRAPE_EVERY_MS, loop);
  };
  cancel = clock.schedule(Math.max(0, t0 - clock.now()), loop);
  return async () => {
    stopped = true;
    cancel();
    await inFlight;
    await scrape();
  };
}

function buildResult(scenario: Scenario, data: RunData, env: Environment, runId: string, abortReason: string | undefined): RunResult {
  const slos = evaluateSlos(scenario.slos, data);
  const requests = data.requests.length;
  // The SLO language's own definition, so the summary's availability is the SLO's.
  const successes = data.requests.filter((r) => isSuccess(r.status)).length;
  const upstream = new Map<string, RunResult['upstream'][number]>();
  for (const u of data.upstream) {
    const key = `${u.provider}\u0000${u.region ?? ''}\u0000${u.endpoint}`;
    let row = upstream.get(key);
    if (!row) upstream.set(key, (row = { provider: u.provider, region: u.region, endpoint: u.endpoint, requests: 0, byStatus: {} }));
    row.requests++;
    row.byStatus[u.status] = (row.byStatus[u.status] ?? 0) + 1;
  }
  const load = scenario.load;
  return {
    formatVersion: RESULT_FORMAT_VERSION,
    runId,
    scenario: { name: scenario.name, file: scenario.file, description: scenario.description },
    startedAt: new Date(data.startedAt).toISOString(),
    durationMs: data.durationMs,
    status: abortReason === undefined ? 'completed' : 'aborted',
    ...(abortReason === undefined ? {} : { abortReason }),
    // An aborted run cannot vouch for SLOs it did not finish measuring.
    verdict: abortReason === undefined && slos.every((s) => s.passed) ? 'pass' : 'fail',
    expected: scenario.expect,
    slos,
    load: {
      model: load.model,
      ...(load.model === 'open' ? { rate: load.rate, arrival: load.arrival } : { connections: load.connections }),
      requests,
      availability: requests ? successes / requests : null,
      throughput: data.durationMs > 0 ? (requests / data.durationMs) * 1000 : 0,
      latency: summarizeLatency(data.requests),
    },
    upstream: [...upstream.values()].sort((a, b) => a.provider.localeCompare(b.provider) || (a.region ?? '').localeCompare(b.region ?? '')),
    faults: data.faults,
    series: buildSeries(data.requests, data.upstream, data.durationMs),
    routerMetrics: data.scrapes.at(-1)?.samples ?? [],
    environment: { node: process.version, toxiproxy: env.toxiproxy, seed: scenario.seed, host: hostname() },
  };
}

