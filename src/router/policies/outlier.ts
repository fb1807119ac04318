import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import { parseDuration, parsePercent } from '../../core/units.ts';
import { conditionList, conditions, DEFAULT_FAILURE_CONDITIONS, duration, percent, reportProblems, type ConfigPath, type Issue } from '../schema-kit.ts';
import { saysNothingAboutProvider } from './errors.ts';
import { Watcher, type Gate } from './gate.ts';
import type { Policy, PolicyContext } from './policy.ts';

/**
 * Options in Envoy's vocabulary (`config.cluster.v3.OutlierDetection`), with its defaults.
 *
 * @example
 *   new OutlierDetector(['a', 'b', 'c'], { consecutive5xx: 5, interval: 10_000, baseEjectionTime: 30_000,
 *     maxEjectionTime: 300_000, maxEjectionPercent: 0.5 }, clock);
 */
export interface OutlierOptions {
  /** Failures in a row that eject a host [consecutive_5xx, default 5]; 0 turns this detection off. */
  consecutive5xx: number;
  /** How often the failure percentages are judged and counters restart, ms [interval, default 10 s]. */
  interval: number;
  /** An ejection lasts this × the host's ejection count, ms [base_ejection_time, default 30 s]. */
  baseEjectionTime: number;
  /** …but never longer than this, ms [max_ejection_time, default 300 s]. */
  maxEjectionTime: number;
  /**
   * Never more than this share of the hosts ejected at once, in [0, 1] [max_ejection_percent,
   * default 10 %] — but, as Envoy does, one host may always be ejected.
   */
  maxEjectionPercent: number;
  /**
   * Eject a host whose failures reached `threshold` of its requests over the interval, once it
   * had at least `requestVolume` requests and at least `minimumHosts` hosts did
   * [failure_percentage_threshold 85 %, failure_percentage_request_volume 50,
   * failure_percentage_minimum_hosts 5]. Off unless given (Envoy enforces it at 0 % by default).
   */
  failurePercentage?: { threshold: number; requestVolume: number; minimumHosts: number };
}

export const ENVOY_OUTLIER_DEFAULTS: Readonly<OutlierOptions> = {
  consecutive5xx: 5,
  interval: 10_000,
  baseEjectionTime: 30_000,
  maxEjectionTime: 300_000,
  maxEjectionPercent: 0.1,
};

export type EjectionReason = 'consecutive_5xx' | 'failure_percentage';

/** One host's state: readable for metrics and reports, restorable for tests. */
export interface HostState {
  /** Clock time until which the host is ejected; absent when it is in service. */
  ejectedUntil?: number;
  /** Ejections counted towards the next ejection's length; decays by one per healthy interval. */
  ejections: number;
  consecutiveFailures: number;
  /** This interval's counts. */
  requests: number;
  failures: number;
}

interface Host extends HostState {
  key: string;
  /** When it last came back from an ejection. */
  returnedAt?: number;
}

/**
 * Outlier detection: passive health checking per route. A host (here, a provider key) that
 * fails `consecutive5xx` times in a row, or whose failure percentage over an interval is an
 * outlier, is ejected — skipped by failover — for `baseEjectionTime × ejections` (capped),
 * so a repeatedly bad host stays out longer each time. At most `maxEjectionPercent` of the
 * route's hosts are out at once, so detection cannot empty a route (Envoy's ejection algorithm).
 *
 * Where a breaker protects one provider from every route's traffic, outlier detection is per
 * route and relative: it never takes out more than a share of the route's providers.
 *
 * No timers: ejections end, and intervals are judged, when a call next asks.
 */
export class OutlierDetector {
  readonly options: Readonly<OutlierOptions>;
  readonly #clock: Clock;
  readonly #hosts = new Map<string, Host>();
  readonly #onEject: ((host: string, reason: EjectionReason) => void) | undefined;
  #nextSweep: number;

  constructor(hosts: readonly string[], options: OutlierOptions, clock: Clock, onEject?: (host: string, reason: EjectionReason) => void) {
    for (const p of outlierOptionProblems(options)) throw new RangeError(p.message);
    this.options = options;
    this.#clock = clock;
    this.#onEject = onEject;
    for (const key of hosts) this.#hosts.set(key, { key, ejections: 0, consecutiveFailures: 0, requests: 0, failures: 0 });
    this.#nextSweep = clock.now() + options.interval;
  }

  /** How many hosts may be ejected at once. */
  get maxEjected(): number {
    return Math.max(1, Math.floor(this.options.maxEjectionPercent * this.#hosts.size));
  }

  /** Whether `host` is ejected now. Unknown hosts never are. */
  isEjected(host: string): boolean {
    this.#tick();
    const h = this.#hosts.get(host);
    return h !== undefined && this.#ejected(h, this.#clock.now());
  }

  /** Records one call's outcome at `host`: `failed` per the route's failure conditions. */
  record(host: string, failed: boolean): void {
    this.#tick();
    const h = this.#hosts.get(host);
    if (!h) return;
    h.requests++;
    if (!failed) {
      h.consecutiveFailures = 0;
      return;
    }
    h.failures++;
    h.consecutiveFailures++;
    if (this.options.consecutive5xx > 0 && h.consecutiveFailures >= this.options.consecutive5xx && this.#eject(h, 'consecutive_5xx')) h.consecutiveFailures = 0;
  }

  /**
   * A policy recording each call's outcome at `host`: `failed` judges a returned value,
   * `failedError` a thrown one (default: all but refusals by the router and caller aborts).
   */
  forHost<T>(host: string, failed: (value: T) => boolean, failedError: (error: unknown) => boolean = () => true): Policy & Gate {
    return new HostRecorder(this, host, failed as (value: unknown) => boolean, failedError);
  }

  /** Every host's state. */
  state(): Record<string, HostState> {
    this.#tick();
    const now = this.#clock.now();
    const out: Record<string, HostState> = {};
    for (const h of this.#hosts.values()) {
      const { key: _key, returnedAt: _returned, ...rest } = h;
      if (!this.#ejected(h, now)) delete rest.ejectedUntil;
      out[h.key] = rest;
    }
    return out;
  }

  /** Sets hosts' states (tests); hosts not named keep theirs. */
  restore(states: Record<string, HostState>): void {
    for (const [key, s] of Object.entries(states)) {
      const h = this.#hosts.get(key);
      if (!h) continue;
      Object.assign(h, { ejections: s.ejections, consecutiveFailures: s.consecutiveFailures, requests: s.requests, failures: s.failures });
      if (s.ejectedUntil === undefined) delete h.ejectedUntil;
      else h.ejectedUntil = s.ejectedUntil;
    }
  }

  /** Hosts ejected now. */
  ejectedCount(): number {
    const now = this.#clock.now();
    let n = 0;
    for (const h of this.#hosts.values()) if (this.#ejected(h, now)) n++;
    return n;
  }

  #ejected(h: Host, now: number): boolean {
    if (h.ejectedUntil === undefined) return false;
    if (now < h.ejectedUntil) return true;
    // Back in service: it starts afresh, as Envoy resets a host's counters when it returns.
    h.returnedAt = h.ejectedUntil;
    delete h.ejectedUntil;
    h.consecutiveFailures = 0;
    return false;
  }

  /** Ejects `h` if the share allows; true when it did. */
  #eject(h: Host, reason: EjectionReason): boolean {
    const now = this.#clock.now();
    if (this.#ejected(h, now)) return false;
    if (this.ejectedCount() >= this.maxEjected) return false;
    h.ejections++;
    h.ejectedUntil = now + Math.min(this.options.maxEjectionTime, this.options.baseEjectionTime * h.ejections);
    this.#onEject?.(h.key, reason);
    return true;
  }

  /** Judges the interval(s) that ended since the last look. */
  #tick(): void {
    const now = this.#clock.now();
    if (now < this.#nextSweep) return;
    const fp = this.options.failurePercentage;
    if (fp) {
      const hosts = [...this.#hosts.values()].filter((h) => h.requests >= fp.requestVolume);
      if (hosts.length >= fp.minimumHosts) {
        for (const h of hosts) if (h.failures / h.requests >= fp.threshold) this.#eject(h, 'failure_percentage');
      }
    }
    for (const h of this.#hosts.values()) {
      // A host that stayed in service for a whole interval earns back one ejection (Envoy
      // decrements its ejection multiplier for hosts healthy since their last check).
      if (!this.#ejected(h, now) && h.ejections > 0 && (h.returnedAt === undefined || now - h.returnedAt >= this.options.interval)) h.ejections--;
      h.requests = 0;
      h.failures = 0;
    }
    // Intervals stay aligned on the first; several that passed unseen are judged as one.
    this.#nextSweep += Math.ceil((now - this.#nextSweep + 1) / this.options.interval) * this.options.interval;
  }
}


/** `OutlierDetector.forHost`: records each call's outcome at one host; admits every call (ejection is the failover loop's skip). */
class HostRecorder extends Watcher {
  readonly #detector: OutlierDetector;
  readonly #host: string;
  readonly #failed: (value: unknown) => boolean;
  readonly #failedError: (error: unknown) => boolean;

  constructor(detector: OutlierDetector, host: string, failed: (value: unknown) => boolean, failedError: (error: unknown) => boolean) {
    super();
    this.#detector = detector;
    this.#host = host;
    this.#failed = failed;
    this.#failedError = failedError;
  }

  returned(_ticket: number, _started: number, value: unknown): void {
    this.#detector.record(this.#host, this.#failed(value));
  }

  threw(_ticket: number, _started: number, ctx: PolicyContext, error: unknown): void {
    if (!ctx.signal?.aborted && !saysNothingAboutProvider(error)) this.#detector.record(this.#host, this.#failedError(error));
  }
}

// ---------------------------------------------------------------------------------------
// Config: the options' checks (the constructor throws on them, the config reports them at
// their lines), a route's `outlierDetection` section, and its compile step.

/** Every inconsistency in `o`, each with the option's name; empty when fine. */
export function outlierOptionProblems(o: OutlierOptions): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (!(Number.isInteger(o.consecutive5xx) && o.consecutive5xx >= 0)) out.push({ field: 'consecutive5xx', message: `consecutive5xx must be a whole number ≥ 0, got ${o.consecutive5xx}` });
  if (!(o.interval > 0)) out.push({ field: 'interval', message: `interval must be longer than 0, got ${o.interval}` });
  if (!(o.baseEjectionTime > 0)) out.push({ field: 'baseEjectionTime', message: `baseEjectionTime must be longer than 0, got ${o.baseEjectionTime}` });
  if (!(o.maxEjectionTime >= o.baseEjectionTime)) out.push({ field: 'maxEjectionTime', message: `maxEjectionTime (${o.maxEjectionTime}ms) is shorter than baseEjectionTime (${o.baseEjectionTime}ms)` });
  if (!(o.maxEjectionPercent >= 0 && o.maxEjectionPercent <= 1)) out.push({ field: 'maxEjectionPercent', message: `maxEjectionPercent must be in [0%, 100%], got ${o.maxEjectionPercent * 100}%` });
  const fp = o.failurePercentage;
  if (fp) {
    if (!(fp.threshold > 0 && fp.threshold <= 1)) out.push({ field: 'failurePercentage.threshold', message: `threshold must be in (0%, 100%], got ${fp.threshold * 100}%` });
    if (!(Number.isInteger(fp.requestVolume) && fp.requestVolume >= 1)) out.push({ field: 'failurePercentage.requestVolume', message: `requestVolume must be a whole number ≥ 1, got ${fp.requestVolume}` });
    if (!(Number.isInteger(fp.minimumHosts) && fp.minimumHosts >= 1)) out.push({ field: 'failurePercentage.minimumHosts', message: `minimumHosts must be a whole number ≥ 1, got ${fp.minimumHosts}` });
  }
  if (o.consecutive5xx === 0 && !fp) out.push({ field: 'consecutive5xx', message: 'with consecutive5xx 0 and no failurePercentage, nothing would ever be ejected' });
  return out;
}

export const OutlierSchema = Type.Object(
  {
    consecutive5xx: Type.Optional(Type.Integer({ minimum: 0, description: 'Failures in a row that eject a provider; 0 turns it off. Default 5 (Envoy).' })),
    interval: Type.Optional(duration('How often failure percentages are judged. Default 10s (Envoy).')),
    baseEjectionTime: Type.Optional(duration('An ejection lasts this × the provider\'s ejections. Default 30s (Envoy).')),
    maxEjectionTime: Type.Optional(duration('The longest ejection. Default 300s (Envoy).')),
    maxEjectionPercent: Type.Optional(percent('At most this share of the route\'s upstreams ejected at once (one always may be). Default 10% (Envoy).')),
    failurePercentage: Type.Optional(
      Type.Object(
        {
          threshold: Type.Optional(percent('Eject a provider whose failures reach this share of its requests in an interval. Default 85%.')),
          requestVolume: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests a provider needs in the interval to be judged. Default 50.' })),
          minimumHosts: Type.Optional(Type.Integer({ minimum: 1, description: 'Providers that need that volume before any is judged. Default 5.' })),
        },
        { additionalProperties: false, description: "Failure-percentage ejection (Envoy's failure_percentage_*)." },
      ),
    ),
    failureOn: Type.Optional(conditions('Outcomes that count as failures. Default [5xx, network, timeout].')),
  },
  { additionalProperties: false, description: "Outlier detection over the route's upstreams (Envoy): eject a failing provider for a while." },
);
export type OutlierFile = Type.Static<typeof OutlierSchema>;

export interface OutlierConfig extends OutlierOptions {
  failureOn: string[];
}

/** `outlierDetection` as written → options in ms and fractions, Envoy's defaults filled; undefined when they would not construct. */
export function compileOutlier(o: OutlierFile, at: ConfigPath, issue: Issue): OutlierConfig | undefined {
  const fp = o.failurePercentage;
  const options: OutlierConfig = {
    consecutive5xx: o.consecutive5xx ?? ENVOY_OUTLIER_DEFAULTS.consecutive5xx,
    interval: o.interval === undefined ? ENVOY_OUTLIER_DEFAULTS.interval : parseDuration(o.interval),
    baseEjectionTime: o.baseEjectionTime === undefined ? ENVOY_OUTLIER_DEFAULTS.baseEjectionTime : parseDuration(o.baseEjectionTime),
    maxEjectionTime: o.maxEjectionTime === undefined ? ENVOY_OUTLIER_DEFAULTS.maxEjectionTime : parseDuration(o.maxEjectionTime),
    maxEjectionPercent: o.maxEjectionPercent === undefined ? ENVOY_OUTLIER_DEFAULTS.maxEjectionPercent : parsePercent(o.maxEjectionPercent),
    ...(fp && {
      failurePercentage: {
        threshold: fp.threshold === undefined ? 0.85 : parsePercent(fp.threshold),
        requestVolume: fp.requestVolume ?? 50,
        minimumHosts: fp.minimumHosts ?? 5,
      },
    }),
    failureOn: conditionList(o.failureOn, DEFAULT_FAILURE_CONDITIONS),
  };
  return reportProblems(issue, at, outlierOptionProblems(options)) ? options : undefined;
}
