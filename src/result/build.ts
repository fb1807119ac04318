/**
 * A run's result from what it measured: the SLO verdicts, the load and latency summaries,
 * upstream counts, per-second series, warnings. Pure: the same `RunData` and facts give the
 * same `RunResult`, whoever produced the data (a live run, src/run/run.ts; a replayed or
 * simulated one).
 */
import { routerSeries } from '../collect/router-series.ts';
import { buildSeries, fineBins, latencyHistogram, percentileMs, recordLatency } from '../collect/series.ts';
import type { ProviderEndpoint, RunResult } from '../model/result.ts';
import { RESULT_FORMAT_VERSION } from '../model/result.ts';
import type { RunData } from '../model/run.ts';
import type { Scenario } from '../model/scenario.ts';
import { isSuccess } from '../model/success.ts';
import { encodeSamples } from '../model/samples.ts';
import { evaluateSlos, finestHerdBin, summarizeLatency, type Breach } from '../slo/index.ts';
import { faultLabel } from './fault-label.ts';
import { providerEndpoints, runWarnings } from './warnings.ts';

/** What the result states beyond the data: who the run was, how it ended, where its providers were. */
export interface RunFacts {
  runId: string;
  /** How the data was produced: measured live, or simulated. */
  mode: RunResult['mode'];
  /** Why the run stopped early; undefined for a run that completed. */
  abortReason: string | undefined;
  /** Where each provider endpoint was reachable, in the scenario's order. */
  endpoints: readonly Omit<ProviderEndpoint, 'requests'>[];
  environment: RunResult['environment'];
  /**
   * Keep upstream arrivals in bins this wide (`series.upstreamFine`; `--bin`). Absent: the
   * finest bin any of the scenario's SLOs names (`peak_to_mean(upstream_requests, 10ms)`), so a
   * scenario that judges the herd can draw it; else none, keeping result.json small (10 ms
   * bins are 100 numbers per provider per second).
   */
  binMs?: number;
  /**
   * The abortOnFail SLO that stopped the run, as seen then (src/slo/abort.ts): its verdict
   * replaces the one over the data up to the stop, so the result says what stopped the run
   * (the last requests could otherwise tip it back), and `abortedOnFail` records it.
   */
  breach?: Breach;
}

export function buildResult(scenario: Scenario, data: RunData, facts: RunFacts): RunResult {
  const { runId, abortReason } = facts;
  const breach = facts.breach;
  const slos = evaluateSlos(scenario.slos, data).map((v) => (breach && v.name === breach.slo ? breach.verdict : v));
  const requests = data.requests.length;
  // The one definition of success (src/model/success.ts), so the summary's availability is the SLO's.
  const successes = data.requests.filter(isSuccess).length;
  const upstream = new Map<string, RunResult['upstream'][number]>();
  const paths = new Map<string, Map<string, number>>();
  for (const u of data.upstream) {
    const key = `${u.provider}\u0000${u.region ?? ''}\u0000${u.endpoint}`;
    let row = upstream.get(key);
    if (!row) upstream.set(key, (row = { provider: u.provider, region: u.region, endpoint: u.endpoint, requests: 0, byStatus: {} }));
    row.requests++;
    row.byStatus[u.status] = (row.byStatus[u.status] ?? 0) + 1;
    if (u.path !== undefined) {
      const called = paths.get(key) ?? new Map<string, number>();
      paths.set(key, called.set(u.path, (called.get(u.path) ?? 0) + 1));
    }
  }
  for (const [key, called] of paths) {
    const row = upstream.get(key)!;
    if ([...called.keys()].every((p) => p === row.endpoint)) continue;
    const sorted = [...called].sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
    row.paths = sorted.slice(0, 5).map(([path, requests]) => ({ path, requests }));
    if (sorted.length > 5) row.otherPaths = sorted.length - 5;
  }
  const load = scenario.load;
  const series = buildSeries(data.requests, data.upstream, data.durationMs);
  const binMs = facts.binMs ?? finestHerdBin(scenario.slos);
  if (binMs !== undefined) series.upstreamFine = fineBins(data, series.t.length * 1000, binMs);
  const router = routerSeries(data.scrapes, series.t.length, scenario.report?.metrics);
  if (router) series.router = router;
  return {
    formatVersion: RESULT_FORMAT_VERSION,
    runId,
    mode: facts.mode,
    scenario: { name: scenario.name, file: scenario.file, description: scenario.description, ...(scenario.source && { source: scenario.source }) },
    startedAt: new Date(data.startedAt).toISOString(),
    durationMs: data.durationMs,
    status: abortReason === undefined ? 'completed' : 'aborted',
    ...(abortReason === undefined ? {} : { abortReason }),
    ...(breach && abortReason !== undefined && { abortedOnFail: { slo: breach.slo, atMs: breach.atMs } }),
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
    providers: providerEndpoints(facts.endpoints, data.upstream),
    warnings: runWarnings(scenario, data.upstream, facts.endpoints, { completed: abortReason === undefined }),
    upstream: [...upstream.values()].sort((a, b) => a.provider.localeCompare(b.provider) || (a.region ?? '').localeCompare(b.region ?? '')),
    faults: data.faults.map((f) => {
      const spec = scenario.faults.find((s) => s.name === f.fault);
      return spec ? { ...f, label: faultLabel(spec) } : f;
    }),
    series,
    routerMetrics: data.scrapes.at(-1)?.samples ?? [],
    // Only a live driver can be late: a simulated client sends each request when due (sent = due), so there is nothing to measure.
    environment: { ...facts.environment, ...(facts.mode === 'live' && driverLag(data)) },
    // Every request, packed, for `faultline compare` (src/compare).
    samples: encodeSamples(data.requests),
  };
}

/** How late the load driver sent its requests (sent − due): large against the latencies measured, and faultline itself was the bottleneck. */
function driverLag(data: RunData): { driverLag?: RunResult['environment']['driverLag'] } {
  if (data.requests.length === 0) return {};
  const h = latencyHistogram();
  for (const r of data.requests) recordLatency(h, r.sent - r.due);
  return { driverLag: { p50: percentileMs(h, 50)!, p99: percentileMs(h, 99)!, max: percentileMs(h, 100)! } };
}

