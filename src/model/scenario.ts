/**
 * The normalised scenario the rest of faultline works with: every default applied, every
 * quantity in one unit (durations in ms, percentages as fractions in [0, 1], rates per
 * second), paths absolute, and faults a union discriminated on `layer` and `kind` (derived
 * from the fault kinds' definitions, src/model/faults/), so a `switch` over them is checked
 * for exhaustiveness.
 *
 * Built by `readScenarioFile` (src/scenario/load.ts) from a file that passed the schema
 * (src/scenario/schema.ts) and the semantic checks; nothing downstream has to validate it again.
 */

import type { SloWindow } from './window.ts';
import type { ExpectedStatus } from './success.ts';
import type { Capacity } from './capacity.ts';
import type { FaultSpec } from './faults/index.ts';
import type { ScenarioSource } from './result.ts';

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
  /**
   * The scenario's `variants:`, each a whole scenario of its own (its settings applied, its
   * router settings on its target), in file order; absent when it has none. A variant's own
   * scenario has no variants.
   */
  variants?: ScenarioVariant[];
  /** The scenario's `report:` section: what the report draws beyond its own charts. */
  report?: { metrics: string[] };
  /** The file's text and what changed it for this run, for the report (`RunResult.scenario.source`); absent for a scenario built in code. */
  source?: ScenarioSource;
}

/** One of a scenario's `variants:`: the base with some settings changed, by path. */
export interface ScenarioVariant {
  name: string;
  description?: string;
  /** As written: path → value (`retry.budget: off`). */
  set: Record<string, unknown>;
  /** The base with the settings applied, named `<base>~<variant>`, `expect` the variant's (default the base's). */
  scenario: Scenario;
}

/**
 * A router setting by path (`retry.backoff.jitter: none`) applied to the router config's
 * document before it is validated (src/config/doc-path.ts); `at` is where it is written, for
 * the issues it causes.
 */
export interface RouterSetting {
  path: string;
  value: unknown;
  at: { file: string; line: number; column: number; path: string };
}

/**
 * The system under test: the reference router with a config (absolute path), a service the
 * user runs (`url`), or one faultline starts for the run (`command`).
 */
export type ScenarioTarget = RouterTarget | UrlTarget | CommandTarget;

/** The reference router with a config file, and settings by path applied to it first (a variant's). */
export interface RouterTarget {
  kind: 'router';
  config: string;
  set?: RouterSetting[];
}

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
  capacity?: Capacity;
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

export interface SloSpec {
  name: string;
  /** The expression as written; src/slo parses it (the loader has checked that it parses). */
  expr: string;
  window: SloWindow;
  /** `abortOnFail`: stop the run when this SLO is breached, judged live once its window has been open `graceMs`. */
  abortOnFail?: { graceMs: number };
}
