/**
 * What a run concludes, as result.json carries it: the run's result, its per-second series,
 * the provider endpoints, and its parts the SLO layer produces (`SloVerdict`,
 * `LatencySummary`). One file, because one format version covers them all: a change to a
 * verdict's fields is a change to result.json. The SLO evaluator builds the verdicts, the run
 * assembles the result, the reporters and the `toMeetSLOs()` matcher read it.
 */
import type { FaultSwitch, MetricSample } from './run.ts';

/**
 * Bumped on any change a consumer of result.json would notice. 2: `mode` (live or simulated)
 * and the optional `series.upstreamFine`; a dashboard that mixed simulated results with live
 * ones would be wrong, so a reader of version 1 should not take a version 2 file as one.
 * 3: `status: 'aborted'` also when an `abortOnFail` SLO stopped the run (`abortedOnFail`), and
 * a fault is `endedEarly` only when the run stopped before its scheduled off; added `samples`
 * (every request, packed, for `faultline compare`), `series.p95`, `series.upstreamLatency`,
 * `series.router` (breaker states and router actions per second), `faults[].label`,
 * `scenario.source`, `environment.hostLoad`/`driverLag` and `upstream[].paths`.
 */
export const RESULT_FORMAT_VERSION = 3;

/** Per-second series for charts; every array has one entry per second of the run. */
export interface RunSeries {
  /** Start of each bucket, seconds since the run's start. */
  t: number[];
  /** Requests due in the bucket, by outcome class. */
  ok: number[];
  status4xx: number[];
  status5xx: number[];
  /** Network errors and timeouts (status 0). */
  errors: number[];
  /** Latency percentiles of the requests due in the bucket, ms from due time. */
  p50: (number | null)[];
  /** Optional only for results written before it was kept. */
  p95?: (number | null)[];
  p99: (number | null)[];
  /** Requests each fixture provider received, keyed `provider` or `provider@region`. */
  upstream: Record<string, number[]>;
  /**
   * Finer upstream-arrival bins, when asked for (`faultline run|sim --bin 10ms`), or at the
   * finest bin the scenario's SLOs name (`peak_to_mean(upstream_requests, 10ms)`): `counts[key][i]`
   * is the requests provider `key` received in [i × binMs, (i + 1) × binMs) ms of the run,
   * over the series' whole span. A herd shows here; a per-second bin averages it away.
   */
  upstreamFine?: { binMs: number; counts: Record<string, number[]> };
  /**
   * Upstream latency per provider endpoint (keyed as `upstream`), from the providers' own
   * records (`UpstreamRecord.ms`): p50 and p99 per second of the calls that arrived in it,
   * null in a second with none.
   */
  upstreamLatency?: Record<string, { p50: (number | null)[]; p99: (number | null)[] }>;
  /** Per-second series from the target's /metrics scrapes; absent when it was not scraped. */
  router?: RouterSeries;
}

/**
 * What the per-second /metrics scrapes show over time (src/collect/router-series.ts), one
 * entry per second of the run as the rest of `RunSeries`: counters as their increase in the
 * second, gauges as the value scraped in it (null: no scrape landed in that second).
 */
export interface RouterSeries {
  /**
   * Each circuit breaker's state per second, keyed `provider@region` (`provider` without
   * regions): 0 closed, 1 open, 2 half-open, as `circuit_breaker_state` codes them; a second
   * in which the breaker moved to open (or half-open) between two scrapes counts as that
   * state, so a trip shorter than the scrape interval still shows.
   */
  breakers: Record<string, (number | null)[]>;
  /**
   * What the router did per second, summed over labels, for each action whose metric the
   * target declares: `retries`, `failovers`, `fallbacks`, `shed`, `rate_limited`,
   * `retry_budget_refused`, `bulkhead_rejections`, `throttled`, `ejections`.
   */
  actions: Record<string, number[]>;
  /**
   * The metrics the scenario names (`report: { metrics: [...] }`), one series per label set,
   * keyed `name{label="value",…}`: a counter (`_total`, `_count`, `_sum`) as its increase per
   * second, a histogram (by its family name) as `name:p50`, `name:p99` per second from its
   * buckets' increase, anything else as the scraped value.
   */
  metrics?: Record<string, (number | null)[]>;
}

/** Where one provider endpoint was reachable during the run, and what it received. */
export interface ProviderEndpoint {
  name: string;
  region?: string;
  /** What served it: a bundled fixture, a real upstream (through a forwarding fault stage), or the user's MSW handlers. */
  kind: 'fixture' | 'url' | 'handlers';
  /** The address the service should call: the Toxiproxy proxy in front of it, e.g. `http://127.0.0.1:26400`. */
  url: string;
  /** `host:port` the proxy listened on. */
  listen: string;
  /** The environment variable a `command` target got `url` in, e.g. `FAULTLINE_PROVIDER_STRIPE_EU_URL`. */
  env: string;
  /** The bundled fixture (kind `fixture`). */
  fixture?: string;
  /** The real upstream requests were forwarded to (kind `url`). */
  upstream?: string;
  /** The handler module, absolute (kind `handlers`). */
  handlers?: string;
  /** Requests the provider received in the whole run (ground truth, as `upstream`). */
  requests: number;
}

export interface RunResult {
  formatVersion: number;
  runId: string;
  /** `live`: measured on loopback (`faultline run`); `sim`: the router's code in virtual time (`faultline sim`), providers and network modelled. */
  mode: 'live' | 'sim';
  scenario: { name: string; file: string; description?: string; source?: ScenarioSource };
  /** ISO time of t = 0. */
  startedAt: string;
  durationMs: number;
  /**
   * `aborted` when the run stopped before its end — interrupted (Ctrl-C), crashed, or stopped
   * by an `abortOnFail` SLO's breach (then `abortedOnFail` is set): what was measured is still here.
   */
  status: 'completed' | 'aborted';
  /** Why it stopped, e.g. `SLO "availability" breached at 4.0 s: availability 61 % < 99 % …`. */
  abortReason?: string;
  /**
   * Set when an SLO marked `abortOnFail` stopped the run: which SLO, and when its breach was
   * seen (ms since t = 0). Its verdict in `slos` is the one seen then (the breach is decided,
   * so `verdict` is `fail`); the other SLOs are measured over the part that ran.
   */
  abortedOnFail?: { slo: string; atMs: number };
  verdict: 'pass' | 'fail';
  /** What the scenario expects: a broken twin expects `fail`. */
  expected: 'pass' | 'fail';
  slos: SloVerdict[];
  load: {
    model: 'open' | 'closed';
    /** Target arrival rate per second (open model). */
    rate?: number;
    arrival?: 'uniform' | 'poisson';
    connections?: number;
    requests: number;
    availability: number | null;
    throughput: number;
    latency: LatencySummary | null;
  };
  /** Each provider endpoint: where it was reachable, what served it, how many requests it received. */
  providers: ProviderEndpoint[];
  /**
   * Problems a person must not miss though the SLOs do not judge them: a declared provider
   * that received no request at all (the service is not calling it through its proxy), one
   * that answered mostly 4xx (a wrong path?), a service that exited during the run.
   */
  warnings: string[];
  /** Requests each provider received in the whole run, with the split by status. */
  upstream: {
    provider: string;
    region?: string;
    endpoint: string;
    requests: number;
    byStatus: Record<string, number>;
    /** The paths actually called through this endpoint, most called first (at most 5), when any differs from `endpoint` (a pattern like `GET /api/*`). */
    paths?: { path: string; requests: number }[];
    /** How many other paths were called beyond those listed. */
    otherPaths?: number;
  }[];
  faults: FaultSwitch[];
  series: RunSeries;
  /** The target's metrics at the end of the run (last scrape): the reference router's, or those of a service's `target.metrics` endpoint. */
  routerMetrics: MetricSample[];
  environment: {
    node: string;
    toxiproxy: string;
    seed: number;
    host: string;
    /** The host's load average (1, 5, 15 min, `os.loadavg()`) at the run's start and end, and its CPU count: a busy host explains a slow run. */
    hostLoad?: { cpus: number; start: number[]; end: number[] };
    /**
     * How late the load driver sent requests (sent − due, ms, over every request): faultline
     * itself was the bottleneck when this is large against the latencies it measured.
     */
    driverLag?: { p50: number; p99: number; max: number };
  };
  /**
   * Every client request, packed (src/model/samples.ts: `encodeSamples`, `decodeSamples`): due
   * time, latency, status and success, for `faultline compare` to test the tail, the shape and
   * the error proportion against a baseline. Absent in results written before it existed.
   */
  samples?: RequestSamples;
}

/**
 * A run's requests in due order, each stream base64 of LEB128 varints: `due` the due times in
 * ms, delta-coded; `latency` ms × 100 (0.01 ms); `status` (status × 2 + failed, run length)
 * pairs, `failed` 1 for a request that was not a success.
 */
export interface RequestSamples {
  encoding: 'varint-base64-v1';
  count: number;
  due: string;
  latency: string;
  status: string;
}

/**
 * The scenario as run: the file's text as written (so `${VAR}` values, which may be secrets,
 * never land in a report), and what changed it for this run.
 */
export interface ScenarioSource {
  text: string;
  /** `--duration`, `--rate`, `--seed` given for this run. */
  overrides?: { duration?: string | number; rate?: string | number; seed?: number };
  /** The variant this run is (`run --variants`): its name and its settings by path. */
  variant?: { name: string; set: Record<string, unknown> };
  /** Names of the `-e KEY=VALUE` variables given (their values are not kept). */
  vars?: string[];
}

/** One SLO's verdict: what was measured, against what, over which window, from how many samples. */
export interface SloVerdict {
  name: string;
  /** The expression as written, e.g. `p99(latency) < 400ms`. */
  expression: string;
  /** The window as written: `run`, `during joke-5xx`, `recovery after joke-5xx (10s)`. */
  window: string;
  /** The window resolved to ms since the run's start; null if it never opened (e.g. its fault never switched). */
  range: [number, number] | null;
  passed: boolean;
  /** The left-hand side measured; null when there was nothing to measure (no samples in the window). */
  value: number | null;
  comparator: '<' | '<=' | '>' | '>=' | '==' | '!=';
  threshold: number;
  /** How value and threshold read: `ratio` and `percent` are fractions (0.995), `ms` milliseconds. */
  unit: 'percent' | 'ratio' | 'ms' | 'count' | 'per_second';
  /** Requests (or upstream calls) the value rests on: a 99.9 % over 20 samples says little. */
  samples: number;
  /** Why it failed, in words, with the margin: "availability 97.1 % < 99 % (short by 1.9 points)". */
  message: string;
}

/** The run's request latencies, ms from when each was due (`summarizeLatency`, src/slo/latency.ts). */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}
