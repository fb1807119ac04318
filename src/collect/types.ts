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
}

/** One request a fixture provider received: the ground truth for upstream load and failover timing. */
export interface UpstreamRecord {
  t: number;
  provider: string;
  region?: string;
  /** The handler's route, e.g. `GET /joke`. */
  endpoint: string;
  /** What the provider answered (0 if it hung or the connection was cut). */
  status: number;
}

/** When a fault was due to switch on and off, and when it did. `off` is null while still on (e.g. an aborted run). */
export interface FaultSwitch {
  fault: string;
  layer: 'http' | 'network';
  kind: string;
  scheduledOn: number;
  on: number | null;
  scheduledOff: number;
  off: number | null;
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
