/**
 * What a run measures, as plain data. The load driver, the fixture providers' counters,
 * the fault scheduler and the router's /metrics scrapes each fill one part; the SLO
 * evaluator and the reporters only read it. Times are milliseconds since the run's start
 * (t = 0 when the first request is due), so windows compare directly.
 */

/** One request the load driver sent (or meant to send) to the system under test. */
export interface RequestRecord {
  /** When the request was due by the arrival schedule: latency is measured from here (no coordinated omission). */
  due: number;
  /** When it actually went out (>= due; the gap is the driver's own lag). */
  sent: number;
  /** When the response ended or the request failed. */
  end: number;
  /** HTTP status; 0 for a network error, a timeout, or a request the driver could not send. */
  status: number;
  /** Which entry of the request mix this was (its name, or method + path). */
  route: string;
  /** For status 0: what went wrong (`timeout`, `ECONNREFUSED`, `overload`...). */
  error?: string;
  /**
   * Whether the answer is a success: its status is one the request expects
   * (`load.requests[].expect`, default 2xx or 3xx). The load drivers set it; a record without
   * it (built by hand) is judged by the default rule.
   */
  ok?: boolean;
}

/** One request a fixture provider received: the ground truth for upstream load and failover timing. */
export interface UpstreamRecord {
  t: number;
  provider: string;
  region?: string;
  /** The handler's route, e.g. `GET /joke` (the fixture's pattern, `GET /api/*`, for a handler that matches many paths). */
  endpoint: string;
  /** The method and path actually called, query left out: `GET /api/users/7`. Absent in records made before it was kept. */
  path?: string;
  /** What the provider answered (0 if it hung or the connection was cut). */
  status: number;
  /**
   * How long the provider took, ms from the request's arrival to its answer's end (or the
   * connection's close): upstream latency at the provider, the ground truth whatever the
   * service under test is (a network toxic in front, in Toxiproxy, is not in it). Absent in
   * records made before it was kept.
   */
  ms?: number;
}

/**
 * When a fault was due to switch on and off, and when it did. `on` is null if it never
 * switched on (the run ended first, or the backend failed); `off` is null if it never
 * switched off (the backend failed). A fault that repeats or flaps has one entry per
 * occurrence, all under the same `fault` name, numbered by `occurrence`; occurrences the
 * run never reached are left out (the first is always there).
 */
export interface FaultSwitch {
  fault: string;
  layer: 'http' | 'network';
  kind: string;
  /** For `kind: outage`: which shape (down, blackhole, flapping, partial, slow). */
  shape?: string;
  /** 1-based; only on a fault that repeats (`repeat`) or flaps (`flap`, `shape: flapping`). */
  occurrence?: number;
  scheduledOn: number;
  on: number | null;
  scheduledOff: number;
  off: number | null;
  /** Switched off because the run stopped before `scheduledOff` (an aborted run); `off` says when that took effect. */
  endedEarly?: true;
  /** A ramped fault: the parameter that moves, and every step, step 0 being the switch-on. */
  ramp?: FaultRamp;
  /** What it does to whom, with its parameters (`stripe@eu blackhole`, `joke 503 at 30 %`): set in the result, for the report's fault bands. */
  label?: string;
}

/**
 * A ramp's record. Values are in result units: `rate` and `toxicity` as fractions,
 * `latency` in ms, `kbps` in KB/s. Each step's value is in force from its `at` until the
 * next step's (or the switch-off).
 */
export interface FaultRamp {
  param: 'rate' | 'latency' | 'toxicity' | 'kbps';
  steps: FaultStep[];
}

/** One step of a ramp: when it was due and when it was applied (null: never, e.g. the fault was switched off first). */
export interface FaultStep {
  scheduled: number;
  at: number | null;
  value: number;
}

/** One sample of a Prometheus metric, as scraped from the router's /metrics. */
export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A /metrics scrape taken at time t. */
export interface MetricScrape {
  t: number;
  samples: MetricSample[];
  /**
   * Series names the exposition declares (`# TYPE`), samples or not: prom-client prints no
   * line for a labelled counter until it first moves, and "declared, never moved" is a 0,
   * not a missing metric. A histogram declares its `_bucket`, `_sum` and `_count`.
   */
  declared?: string[];
}

/** Everything a run measured; the collector (src/collect/collector.ts) assembles it at the run's end. */
export interface RunData {
  /** Epoch milliseconds of t = 0. */
  startedAt: number;
  /** How long load ran, in ms (shorter than planned when aborted). */
  durationMs: number;
  requests: RequestRecord[];
  upstream: UpstreamRecord[];
  faults: FaultSwitch[];
  /** Periodic scrapes of the router's metrics (empty when the target has none). */
  scrapes: MetricScrape[];
}
