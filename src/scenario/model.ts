/**
 * The normalised scenario the rest of faultline works with: every default applied, every
 * quantity in one unit (durations in ms, percentages as fractions in [0, 1], rates per
 * second), paths absolute, and faults a union discriminated on `layer` and `kind`, so a
 * `switch` over them is checked for exhaustiveness.
 *
 * Built by `loadScenario` (load.ts) from a file that passed the schema (schema.ts) and the
 * semantic checks; nothing downstream has to validate it again.
 */

import type { Distribution } from '../core/distributions.ts';
import type { SloWindow } from '../model/window.ts';
import type { ExpectedStatus } from '../model/success.ts';

export interface Scenario {
  /** Absolute path of the scenario file. */
  file: string;
  name: string;
  description?: string;
  seed: number;
  /** The verdict the scenario should get; a broken twin expects `fail`. */
  expect: 'pass' | 'fail';
  target: ScenarioTarget;
  providers: ProviderSpec[];
  load: LoadSpec;
  faults: FaultSpec[];
  slos: SloSpec[];
}

/**
 * The system under test: the reference router with a config (absolute path), a service the
 * user runs (`url`), or one faultline starts for the run (`command`).
 */
export type ScenarioTarget = { kind: 'router'; config: string } | UrlTarget | CommandTarget;

/** A service already running at `url`. */
export interface UrlTarget {
  kind: 'url';
  url: string;
  /** How to tell it answers; absent: its port accepts a connection within 10 s. */
  ready?: ReadySpec;
  /** Its Prometheus metrics, as an absolute URL. */
  metricsUrl?: string;
}

/** A service faultline starts with `sh -c command` in its own process group, and stops. */
export interface CommandTarget {
  kind: 'command';
  /** As written; may hold {{...}} templates (src/scenario/templates.ts), expanded at run time. */
  command: string;
  /** Absolute working folder. */
  cwd: string;
  /** Where it listens; absent: a free loopback port picked at run time (PORT, {{target.port}}). */
  url?: string;
  /** As written (values may hold templates). */
  env: Record<string, string>;
  /** Absent: the target's port accepts a connection within 30 s. */
  ready?: ReadySpec;
  /** Its Prometheus metrics: an absolute URL, or a path on the target (its URL may be known only at run time). */
  metrics?: string;
  /** SIGTERM to the group, then SIGKILL after this long. */
  stopTimeoutMs: number;
}

/** When a target is ready: a GET that answers 2xx/3xx, or a port that accepts a connection. */
export type ReadySpec =
  | { kind: 'http'; /** A path on the target, or an absolute URL. */ path: string; timeoutMs?: number }
  | { kind: 'tcp'; /** `host:port`; absent: the target URL's. */ address?: string; timeoutMs?: number };

interface ProviderCommon {
  name: string;
  /** One endpoint per region; empty for a single endpoint without a region. */
  regions: string[];
  /** Each endpoint's capacity; absent: unlimited. */
  capacity?: ProviderCapacity;
  /**
   * Fixed `host:port` addresses for the proxies in front of the provider: key `''` for a
   * provider without regions, else the region name. Endpoints left out get a free port.
   */
  listen?: Record<string, string>;
}

/** A provider: a bundled fixture, a real upstream by URL (behind a forwarding fault stage), or the user's MSW handler module (absolute path). */
export type ProviderSpec = ProviderCommon &
  (
    | { kind: 'fixture'; fixture: string; url?: never; handlers?: never }
    | { kind: 'url'; url: string; fixture?: never; handlers?: never }
    | { kind: 'handlers'; handlers: string; fixture?: never; url?: never }
  );

/** At most `concurrency` requests at once, each for a `serviceTime` (ms); `queue` more wait (absent: no limit); beyond, 503. */
export interface ProviderCapacity {
  concurrency: number;
  queue?: number;
  serviceTime: Distribution;
}

export interface RequestSpec {
  /** As written, or `METHOD path`. Identifies the request in records and reports. */
  name: string;
  /** Relative share in the mix (> 0). */
  weight: number;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  path: string;
  headers: Record<string, string>;
  /** The body as sent; a mapping or list in the file is serialised to JSON. */
  body?: string;
  /** Content type of `body`: a content-type header if given, else JSON or text. Absent without a body. */
  contentType?: string;
  /** Statuses that count as a success (exact codes, or classes like `2xx` in lower case); absent: 2xx and 3xx. */
  expect?: ExpectedStatus[];
}

interface LoadCommon {
  durationMs: number;
  /** Client timeout per request. */
  timeoutMs: number;
  requests: RequestSpec[];
}

/** Open model: requests arrive at `rate` per second regardless of responses. */
export interface OpenLoadSpec extends LoadCommon {
  model: 'open';
  /** Arrivals per second. */
  rate: number;
  arrival: 'uniform' | 'poisson';
}

/** Closed model: `connections` loops, each sending its next request when the previous one ends. */
export interface ClosedLoadSpec extends LoadCommon {
  model: 'closed';
  connections: number;
}

export type LoadSpec = OpenLoadSpec | ClosedLoadSpec;

export interface FaultTarget {
  provider: string;
  /** Absent: every region of the provider. */
  region?: string;
  /** Absent: every route (HTTP faults). */
  route?: string;
  /** Absent: every request (HTTP faults). */
  match?: RequestMatch;
}

/** Requests whose headers (name in any case) and JSON body fields (dotted path) have these exact values. */
export interface RequestMatch {
  headers?: Record<string, string | number | boolean>;
  body?: Record<string, string | number | boolean>;
}

interface FaultCommon {
  name: string;
  target: FaultTarget;
  /** When the fault switches on, ms from the start of load. */
  fromMs: number;
  /** When it switches off; the run's duration when the file does not say. */
  toMs: number;
  /** A parameter that moves while the fault is on; the fault's own field holds the start value (`ramp.from`). */
  ramp?: RampSpec;
  /** The window `fromMs`–`toMs` again every `everyMs`, `times` in all (resolved: never open-ended). */
  repeat?: { everyMs: number; times: number };
  /** Between `fromMs` and `toMs`: on for `downMs`, off for `upMs`, again and again (the last cycle cut at `toMs`). */
  flap?: { downMs: number; upMs: number };
}

/**
 * A ramp in model units: `rate` and `toxicity` as fractions, `latency` in ms, `kbps` in KB/s.
 * Step k of `steps` is applied `k × overMs / steps` after each switch-on, with the value
 * `from + (to − from) × k / steps`; step 0 is the switch-on itself.
 */
export interface RampSpec {
  param: 'rate' | 'latency' | 'toxicity' | 'kbps';
  from: number;
  to: number;
  overMs: number;
  steps: number;
}

/** An error status instead of the real response, for a share `rate` of requests. */
export interface HttpErrorFault extends FaultCommon {
  layer: 'http';
  kind: 'error';
  /** Fraction of requests that fail. */
  rate: number;
  status: number;
  /** Retry-After to send (only with 429 or 503). */
  retryAfterMs?: number;
}

/**
 * A delay before the provider sees the request, drawn from `delay` (ms), for a share `rate`
 * of requests. `latency: 800ms, jitter: 100ms` in the file is uniform on 700–900 ms here.
 */
export interface HttpLatencyFault extends FaultCommon {
  layer: 'http';
  kind: 'latency';
  delay: Distribution;
  rate: number;
}

interface HttpScoped extends FaultCommon {
  layer: 'http';
  /** Fraction of matching requests hit. */
  rate: number;
}

/** No answer: held until the client gives up or the fault ends, then the connection is dropped. */
export interface HttpHangFault extends HttpScoped {
  kind: 'hang';
}

/** Status, headers and part of the body (`bytes`, else `fraction` of it), then the connection is dropped. */
export interface HttpTruncateFault extends HttpScoped {
  kind: 'truncate';
  bytes?: number;
  fraction?: number;
}

/** A 200 with the JSON content type and a body that does not parse: the real one cut short, or garbage. */
export interface HttpMalformedFault extends HttpScoped {
  kind: 'malformed';
  style: 'truncated' | 'garbage';
}

/** The wrong content type: an HTML page for an HTML type, the real body relabelled otherwise. */
export interface HttpContentTypeFault extends HttpScoped {
  kind: 'content_type';
  contentType: string;
  status: number;
}

/** The provider's work done, the status line and headers wait `delay` (ms). */
export interface HttpSlowHeadersFault extends HttpScoped {
  kind: 'slow_headers';
  delay: Distribution;
}

/** Status and headers at once, the body after `delay` (ms). */
export interface HttpSlowBodyFault extends HttpScoped {
  kind: 'slow_body';
  delay: Distribution;
}

/** The provider's capacity changed for the window (a brown-out); unset fields keep the provider's own. No route, match or rate. */
export interface HttpCapacityFault extends FaultCommon {
  layer: 'http';
  kind: 'capacity';
  concurrency: number;
  queue?: number;
  serviceTime?: Distribution;
}

export type HttpFault =
  | HttpErrorFault
  | HttpLatencyFault
  | HttpHangFault
  | HttpTruncateFault
  | HttpMalformedFault
  | HttpContentTypeFault
  | HttpSlowHeadersFault
  | HttpSlowBodyFault
  | HttpCapacityFault;

interface NetworkCommon extends FaultCommon {
  layer: 'network';
  stream: 'upstream' | 'downstream';
  /** Fraction of connections the toxic applies to. */
  toxicity: number;
}

export interface NetworkLatencyFault extends NetworkCommon {
  kind: 'latency';
  latencyMs: number;
  jitterMs: number;
}

/** The proxy refuses connections. */
export interface NetworkDownFault extends NetworkCommon {
  kind: 'down';
}

/** Data stops; the connection closes after `timeoutMs` (0: held open forever, as Toxiproxy). */
export interface NetworkTimeoutFault extends NetworkCommon {
  kind: 'timeout';
  timeoutMs: number;
}

/** TCP RST after `timeoutMs`. */
export interface NetworkResetPeerFault extends NetworkCommon {
  kind: 'reset_peer';
  timeoutMs: number;
}

/** Rate limit in KB/s (Toxiproxy bandwidth `rate`). */
export interface NetworkBandwidthFault extends NetworkCommon {
  kind: 'bandwidth';
  kbps: number;
}

export interface NetworkSlowCloseFault extends NetworkCommon {
  kind: 'slow_close';
  delayMs: number;
}

/** Data cut into packets of averageSize ± sizeVariation bytes, `delayMs` apart (Toxiproxy takes µs: multiply by 1000). */
export interface NetworkSlicerFault extends NetworkCommon {
  kind: 'slicer';
  averageSize: number;
  sizeVariation: number;
  delayMs: number;
}

/** The connection closes after `bytes`. */
export interface NetworkLimitDataFault extends NetworkCommon {
  kind: 'limit_data';
  bytes: number;
}

/**
 * An outage of a named shape; plan.ts resolves it to proxy state and toxics:
 * `down` and `flapping` disable the proxy (`flapping` always comes with `flap`),
 * `blackhole` adds timeout-0 toxics both ways, `partial` resets a `toxicity` share of
 * connections upstream, `slow` limits bandwidth (`kbps`) and/or adds `latencyMs` downstream.
 */
export interface NetworkOutageFault extends FaultCommon {
  layer: 'network';
  kind: 'outage';
  shape: OutageShape;
  /** Fraction of connections affected (blackhole, partial, slow). */
  toxicity: number;
  latencyMs?: number;
  jitterMs: number;
  kbps?: number;
}

export type OutageShape = 'down' | 'blackhole' | 'flapping' | 'partial' | 'slow';

export type NetworkFault =
  | NetworkOutageFault
  | NetworkLatencyFault
  | NetworkDownFault
  | NetworkTimeoutFault
  | NetworkResetPeerFault
  | NetworkBandwidthFault
  | NetworkSlowCloseFault
  | NetworkSlicerFault
  | NetworkLimitDataFault;

export type FaultSpec = HttpFault | NetworkFault;

/** Where an SLO must hold; defined beside the evaluator that resolves it (src/slo/window.ts). */
export type { SloWindow };

export interface SloSpec {
  name: string;
  /** The expression as written; src/slo parses it (the loader has checked that it parses). */
  expr: string;
  window: SloWindow;
}
