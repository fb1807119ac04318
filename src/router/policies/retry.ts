import type { Clock } from '../../core/clock.ts';
import type { Rng } from '../../core/rng.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { isBrokenCircuitError, isCallerAbortedError } from './errors.ts';
import type { Policy, PolicyContext } from './policy.ts';

/** Methods RFC 9110 §9.2.2 defines as idempotent: repeating them is safe. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Whether `method` may be repeated without changing the outcome. No method (not HTTP) counts as safe. */
export function isIdempotent(method: string | undefined): boolean {
  return method === undefined || IDEMPOTENT.has(method.toUpperCase());
}

/** Everything a retry decided, for metrics and logs. */
export interface RetryEvent<T> {
  /** The attempt that failed (1-based); the next one is `attempt + 1`. */
  attempt: number;
  delay: number;
  /** Whether the delay came from the provider's Retry-After rather than backoff. */
  fromRetryAfter: boolean;
  result?: T;
  error?: unknown;
}

export interface RetryOptions<T> {
  /** Attempts in total, the first included (Resilience4j's maxAttempts); 1 means no retry. */
  maxAttempts: number;
  backoff: BackoffOptions;
  /** Whether a returned value is a failure worth retrying (e.g. a 503). Default: never. */
  retryOnResult?: (value: T) => boolean;
  /** Whether a thrown error is worth retrying. Default: anything but an open breaker or a caller abort. */
  retryOnError?: (error: unknown) => boolean;
  /** The provider's requested wait in ms (from Retry-After), if it gave one. */
  retryAfter?: (value: T) => number | undefined;
  /** A Retry-After longer than this is cut to it, so one provider cannot park a request. Default: backoff.cap. */
  retryAfterCap?: number;
  /** Retry POST/PATCH too. Off by default: a retried payment may be a double payment. */
  retryNonIdempotent?: boolean;
  /**
   * Asked before each retry; false stops retrying. The seam for a retry budget
   * (Envoy's 20 % of active requests, the SRE book's 10 % per client).
   */
  allowRetry?: () => boolean;
  onRetry?: (event: RetryEvent<T>) => void;
}

const defaultRetryOnError = (error: unknown): boolean => !isBrokenCircuitError(error) && !isCallerAbortedError(error);

/**
 * Retries with exponential backoff and jitter. The first attempt runs with no setup
 * beyond a counter: backoff state, timers and events exist only once something failed.
 *
 * @example
 *   const retry = new RetryPolicy<Response>({
 *     maxAttempts: 3,
 *     backoff: { base: 50, cap: 1000, jitter: 'full' },
 *     retryOnResult: (r) => r.status >= 500,
 *   }, clock, rng);
 *   const res = await retry.execute(() => fetch(url));
 */
export class RetryPolicy<T = unknown> implements Policy {
  readonly options: Readonly<RetryOptions<T>>;
  readonly #clock: Clock;
  readonly #rng: Rng;
  readonly #retryOnError: (error: unknown) => boolean;

  constructor(options: RetryOptions<T>, clock: Clock, rng: Rng) {
    if (!(options.maxAttempts >= 1)) throw new RangeError(`maxAttempts must be at least 1, got ${options.maxAttempts}`);
    this.options = options;
    this.#clock = clock;
    this.#rng = rng;
    this.#retryOnError = options.retryOnError ?? defaultRetryOnError;
  }

  async execute<R>(fn: (ctx: PolicyContext) => Promise<R>, ctx: PolicyContext = {}): Promise<R> {
    const opts = this.options;
    const max = opts.retryNonIdempotent || isIdempotent(ctx.method) ? opts.maxAttempts : 1;
    const attemptCtx: PolicyContext = { signal: ctx.signal, method: ctx.method, attempt: 1 };
    let previous = opts.backoff.base;
    for (let attempt = 1; ; attempt++) {
      attemptCtx.attempt = attempt;
      let value: R;
      try {
        value = await fn(attemptCtx);
      } catch (error) {
        if (attempt >= max || ctx.signal?.aborted || !this.#retryOnError(error) || !this.#allow()) throw error;
        previous = backoffDelay(opts.backoff, attempt - 1, previous, this.#rng);
        opts.onRetry?.({ attempt, delay: previous, fromRetryAfter: false, error });
        await this.#clock.sleep(previous, ctx.signal);
        continue;
      }
      // R is the caller's T in practice; the classifiers are typed on the policy's T.
      const result = value as unknown as T;
      if (attempt >= max || !opts.retryOnResult?.(result) || !this.#allow()) return value;
      let delay: number;
      let fromRetryAfter = false;
      const asked = opts.retryAfter?.(result);
      if (asked !== undefined) {
        delay = Math.min(Math.max(0, asked), opts.retryAfterCap ?? opts.backoff.cap);
        fromRetryAfter = true;
      } else {
        delay = previous = backoffDelay(opts.backoff, attempt - 1, previous, this.#rng);
      }
      opts.onRetry?.({ attempt, delay, fromRetryAfter, result });
      await this.#clock.sleep(delay, ctx.signal);
    }
  }

  #allow(): boolean {
    return this.options.allowRetry ? this.options.allowRetry() : true;
  }
}

/**
 * Reads a Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as ms from
 * `now`. Undefined when absent or unreadable; a date in the past is 0.
 *
 * @example parseRetryAfter('2', 0) === 2000
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
