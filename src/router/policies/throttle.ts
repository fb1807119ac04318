import Type from 'typebox';
import type { Clock } from '../../core/clock.ts';
import type { Rng } from '../../core/rng.ts';
import { parseDuration } from '../../core/units.ts';
import { conditionList, conditions, duration, reportProblems, type ConfigPath, type Issue } from '../schema-kit.ts';
import { saysNothingAboutProvider, ThrottledError } from './errors.ts';
import { throughGate, type Gate } from './gate.ts';
import type { Policy, PolicyContext } from './policy.ts';
import { BucketWindow } from './window.ts';

export interface AdaptiveThrottleOptions {
  /**
   * How many requests per accepted one the client keeps sending (the SRE book's K). 2 (the
   * book's default) wastes up to one rejected request per accepted one but notices a
   * recovery fast; 1.1 protects a backend for which rejecting costs as much as serving.
   */
  k: number;
  /** History the ratio is taken over, ms. Default 2 minutes (the book's). */
  window?: number;
  /** Buckets of that history. Default 12 (10 s each over 2 minutes). */
  buckets?: number;
  /**
   * Requests the window must hold before anything is rejected locally. Default 20. With a
   * handful of outcomes the ratio says nothing (one refusal in two requests is p = 1/3), and a
   * cold client must not shed load on the strength of its first few answers.
   */
  minRequests?: number;
}

/** `minRequests` when not given. */
export const DEFAULT_MIN_REQUESTS = 20;

export interface AdaptiveThrottleState {
  requests: number;
  accepts: number;
  /** The probability the next request is rejected locally. */
  rejectProbability: number;
}

export interface ThrottleHooks<T> {
  /** A returned value the backend did not accept (e.g. a 503 or 429). Default: none. */
  rejected?: (value: T) => boolean;
  /** A thrown error meaning the backend did not accept the request. Default: all but local refusals and caller aborts. */
  rejectedError?: (error: unknown) => boolean;
  onThrottled?: () => void;
}

const REQUESTS = 0;
const ACCEPTS = 1;

/**
 * Client-side adaptive throttling, from the Google SRE book ("Handling Overload"): the
 * client tracks, over the last two minutes, how many requests it attempted and how many the
 * backend accepted, and rejects new ones locally with probability
 *
 *     max(0, (requests − K · accepts) / (requests + 1))
 *
 * While the backend accepts everything, that is 0. When it starts refusing, the client sheds
 * the excess itself instead of sending requests that would be refused anyway (refusing still
 * costs the backend). Locally rejected requests count as requests, so the probability grows
 * with the backend's refusals, and falls again as soon as it accepts.
 *
 * A request sent to the backend is counted when its outcome arrives, together with its
 * accept, not when it leaves: counted at departure, a burst of concurrent requests from a
 * fresh client is all requests and no accepts (p = n/(n+1)) until the first answers come
 * back, and the client throttles a healthy backend (each refusal adding to `requests` and
 * feeding the storm). A local rejection's outcome is known at once, so it counts at once.
 * Below `minRequests` in the window nothing is rejected.
 *
 * @example
 *   const throttle = new AdaptiveThrottle({ k: 2 }, clock, rng, { rejected: (r) => r.status === 503 });
 */
export class AdaptiveThrottle<T = unknown> implements Policy, Gate {
  readonly options: Readonly<AdaptiveThrottleOptions>;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #hooks: ThrottleHooks<T>;
  readonly #window: BucketWindow;
  readonly #minRequests: number;

  constructor(options: AdaptiveThrottleOptions, clock: Clock, rng: Rng, hooks: ThrottleHooks<T> = {}) {
    for (const p of adaptiveThrottleOptionProblems(options)) throw new RangeError(p.message);
    this.options = options;
    this.#clock = clock;
    this.#rng = rng;
    this.#hooks = hooks;
    this.#window = new BucketWindow(options.window ?? 120_000, options.buckets ?? 12, 2);
    this.#minRequests = options.minRequests ?? DEFAULT_MIN_REQUESTS;
  }

  /** The rejection probability now. */
  probability(): number {
    const now = this.#clock.now();
    const requests = this.#window.total(now, REQUESTS);
    if (requests < this.#minRequests) return 0;
    return Math.max(0, (requests - this.options.k * this.#window.total(now, ACCEPTS)) / (requests + 1));
  }

  state(): AdaptiveThrottleState {
    const now = this.#clock.now();
    return { requests: this.#window.total(now, REQUESTS), accepts: this.#window.total(now, ACCEPTS), rejectProbability: this.probability() };
  }

  /** Counts `requests` attempted and `accepts` accepted now (tests, and resuming a simulation). */
  record(requests: number, accepts: number): void {
    const now = this.#clock.now();
    this.#window.add(now, REQUESTS, requests);
    this.#window.add(now, ACCEPTS, accepts);
  }

  execute<R>(fn: (ctx: PolicyContext) => Promise<R>, ctx: PolicyContext = {}): Promise<R> {
    return throughGate(this, fn, ctx);
  }

  /** Gate: admits the call, or throws `ThrottledError` with the probability the book gives. */
  enter(_ctx?: PolicyContext): number {
    const p = this.probability();
    // The draw is made only when there is something to decide: no RNG use while all is well.
    if (p > 0 && this.#rng.next() < p) {
      // Rejected locally: a request whose outcome is known now (the book counts it).
      this.#window.add(this.#clock.now(), REQUESTS);
      this.#hooks.onThrottled?.();
      throw new ThrottledError(p);
    }
    return 0;
  }

  readonly timing = undefined;

  returned(_ticket: number, _started: number, value: unknown): void {
    this.#ended(!this.#hooks.rejected?.(value as T));
  }

  threw(_ticket: number, _started: number, ctx: PolicyContext, error: unknown): void {
    // A refusal by the router itself or a departed caller is not the backend refusing.
    this.#ended(ctx.signal?.aborted || saysNothingAboutProvider(error) || !(this.#hooks.rejectedError?.(error) ?? true));
  }

  /** A request sent to the backend has its outcome: counted now, with its accept if it was one. */
  #ended(accepted: boolean): void {
    const now = this.#clock.now();
    this.#window.add(now, REQUESTS);
    if (accepted) this.#window.add(now, ACCEPTS);
  }
}

// ---------------------------------------------------------------------------------------
// Config: the options' checks (the constructor throws on them, the config reports them at
// their lines), a provider's `adaptiveThrottling` section, and its compile step.

/** Every inconsistency in `o`, each with the option's name; empty when fine. */
export function adaptiveThrottleOptionProblems(o: AdaptiveThrottleOptions): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (!(o.k >= 1)) out.push({ field: 'k', message: `k must be ≥ 1 (below 1 the client rejects requests the backend would accept), got ${o.k}` });
  if (o.window !== undefined && !(o.window > 0)) out.push({ field: 'window', message: `window must be longer than 0, got ${o.window}` });
  if (o.buckets !== undefined && !(Number.isInteger(o.buckets) && o.buckets >= 1)) out.push({ field: 'buckets', message: `buckets must be a whole number ≥ 1, got ${o.buckets}` });
  if (o.minRequests !== undefined && !(Number.isInteger(o.minRequests) && o.minRequests >= 0)) out.push({ field: 'minRequests', message: `minRequests must be a whole number ≥ 0, got ${o.minRequests}` });
  return out;
}

export const ThrottleSchema = Type.Object(
  {
    k: Type.Optional(Type.Number({ minimum: 1, description: 'Requests sent per accepted one before rejecting locally (the SRE book\'s K). Default 2.' })),
    window: Type.Optional(duration('History the ratio is taken over. Default 2m (the SRE book).')),
    buckets: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Buckets of that history. Default 12.' })),
    rejectOn: Type.Optional(conditions('Outcomes that mean the provider did not accept the request. Default [5xx, 429, network, timeout].')),
    minRequests: Type.Optional(Type.Integer({ minimum: 0, description: 'Requests the window must hold before anything is rejected, so a cold start is not throttled. Default 20.' })),
  },
  { additionalProperties: false, description: 'Client-side adaptive throttling (Google SRE book, "Handling Overload").' },
);
export type ThrottleFile = Type.Static<typeof ThrottleSchema>;

export interface ThrottleConfig extends AdaptiveThrottleOptions {
  rejectOn: string[];
}

/** `adaptiveThrottling` as written → options, the SRE book's defaults filled; undefined when they would not construct. */
export function compileThrottle(t: ThrottleFile, at: ConfigPath, issue: Issue): ThrottleConfig | undefined {
  const throttle: ThrottleConfig = {
    k: t.k ?? 2,
    window: t.window === undefined ? 120_000 : parseDuration(t.window),
    buckets: t.buckets ?? 12,
    rejectOn: conditionList(t.rejectOn, ['5xx', '429', 'network', 'timeout']),
    ...(t.minRequests !== undefined && { minRequests: t.minRequests }),
  };
  return reportProblems(issue, at, adaptiveThrottleOptionProblems(throttle)) ? throttle : undefined;
}
